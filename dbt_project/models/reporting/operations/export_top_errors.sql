{#- The Admin Analytics Plan's export funnel "top error messages from export_analytics": failed export events by error
    message for each timeframe of int_timeframes (24h/7d/30d/all, each [window_start, reporting clock)). -#}

{{ config(indexes=[{'columns': ['timeframe']}]) }}

with

timeframes as (

    select
        timeframe,
        sort_order,
        window_start,
        window_end
    from {{ ref('int_timeframes') }}

),

failures as (

    select
        export_id,
        coalesce(error_message, '(no message)') as error_message,
        created_at
    from {{ ref('stg_app__export_analytics') }}
    where event_type = 'failed'

),

per_error as (

    select
        timeframes.timeframe,
        timeframes.sort_order,
        failures.error_message,
        count(*) as failures,
        count(distinct failures.export_id) as exports_failed,
        max(failures.created_at) as last_seen_at
    from timeframes
    inner join failures
        on
            timeframes.window_start <= failures.created_at
            and timeframes.window_end > failures.created_at
    group by timeframes.timeframe, timeframes.sort_order, failures.error_message

)

select
    timeframe,
    sort_order as timeframe_order,
    error_message,
    failures,
    exports_failed,
    failures * 1.0 / nullif(sum(failures) over (partition by timeframe), 0) as share_of_failures,
    last_seen_at,
    rank() over (partition by timeframe order by failures desc) as error_rank
from per_error
