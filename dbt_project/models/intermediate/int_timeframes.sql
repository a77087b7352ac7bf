{#- The dashboard timeframes of the Admin Analytics Plan (24h, 7d, 30d, all), each with its window ending at the
    reporting time and the equal window before it (for rank changes). 'all' starts at the epoch. -#}

with

timeframes as (

    select
        '24h' as timeframe,
        1 as sort_order,
        {{ dbt.dateadd('hour', -24, reporting_time()) }} as window_start,
        {{ dbt.dateadd('hour', -48, reporting_time()) }} as previous_window_start
    union all
    select
        '7d' as timeframe,
        2 as sort_order,
        {{ dbt.dateadd('day', -7, reporting_time()) }} as window_start,
        {{ dbt.dateadd('day', -14, reporting_time()) }} as previous_window_start
    union all
    select
        '30d' as timeframe,
        3 as sort_order,
        {{ dbt.dateadd('day', -30, reporting_time()) }} as window_start,
        {{ dbt.dateadd('day', -60, reporting_time()) }} as previous_window_start
    union all
    select
        'all' as timeframe,
        4 as sort_order,
        cast('1970-01-01' as {{ dbt.type_timestamp() }}) as window_start,
        cast('1970-01-01' as {{ dbt.type_timestamp() }}) as previous_window_start

)

select
    timeframe,
    sort_order,
    window_start,
    {{ reporting_time() }} as window_end,
    previous_window_start
from timeframes
