{#- A wide calendar (2020 to 2035) from dbt's own date_spine; dim_dates trims it to the data. -#}

{{ dbt.date_spine(
    datepart="day",
    start_date="cast('2020-01-01' as date)",
    end_date="cast('2036-01-01' as date)"
) }}
