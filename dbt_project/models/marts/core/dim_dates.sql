{#- Every calendar day from the first day of app history to the reporting date (UTC). -#}

with

bounds as (

    select
        cast(min(created_at) as date) as first_day,
        {{ reporting_date() }} as last_day
    from {{ ref('stg_app__users') }}

),

days as (

    select cast(date_day as date) as date_day
    from {{ ref('int_calendar_days') }}

),

calendar as (

    select
        days.date_day,
        cast({{ dbt.date_trunc('week', 'days.date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'days.date_day') }} as date) as month_start,
        {{ dbt.datediff('days.date_day', 'bounds.last_day', 'day') }} as days_ago  -- noqa: LT05

    from days
    cross join bounds
    where days.date_day between bounds.first_day and bounds.last_day

)

select
    date_day,
    week_start,
    month_start,
    days_ago
from calendar
