{#- The Admin Analytics Plan's tool hotspots: LLM calls per tool for each timeframe of int_timeframes (24h/7d/30d/all,
    each [window_start, reporting clock)), with errors, error rate and ranks by calls and by errors. -#}

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

calls as (

    select
        tool_name,
        total_tokens,
        response_ms,
        is_success,
        created_at
    from {{ ref('fct_llm_calls') }}

),

per_tool as (

    select
        timeframes.timeframe,
        timeframes.sort_order,
        calls.tool_name,
        count(*) as calls,
        count(case when not calls.is_success then 1 end) as errors,
        sum(calls.total_tokens) as total_tokens,
        avg(calls.response_ms) as avg_response_ms
    from timeframes
    inner join calls
        on
            timeframes.window_start <= calls.created_at
            and timeframes.window_end > calls.created_at
    group by timeframes.timeframe, timeframes.sort_order, calls.tool_name

)

select
    timeframe,
    sort_order as timeframe_order,
    tool_name,
    calls,
    errors,
    errors * 1.0 / nullif(calls, 0) as error_rate,
    total_tokens,
    avg_response_ms,
    rank() over (partition by timeframe order by calls desc) as call_rank,
    rank() over (partition by timeframe order by errors desc) as error_rank
from per_tool
