{#- The Admin Analytics Plan's LLM usage by day (UTC), provider and model: calls, tokens, response time and success. -#}

{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['provider', 'model']}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

calls as (

    select
        call_date,
        provider,
        model,
        input_tokens,
        output_tokens,
        response_ms,
        is_success
    from {{ ref('fct_llm_calls') }}

),

per_day as (

    select
        call_date,
        provider,
        model,
        count(*) as calls,
        count(case when is_success then 1 end) as successful_calls,
        count(case when not is_success then 1 end) as failed_calls,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        avg(response_ms) as avg_response_ms,
        {{ percentile('response_ms', 0.95) }} as p95_response_ms
    from calls
    group by call_date, provider, model

)

select
    days.date_day,
    per_day.provider,
    per_day.model,
    per_day.calls,
    per_day.successful_calls,
    per_day.failed_calls,
    per_day.input_tokens,
    per_day.output_tokens,
    per_day.input_tokens + per_day.output_tokens as total_tokens,
    per_day.avg_response_ms,
    per_day.p95_response_ms,
    per_day.successful_calls * 1.0 / nullif(per_day.calls, 0) as success_ratio,
    per_day.failed_calls * 1.0 / nullif(per_day.calls, 0) as error_rate
from days
inner join per_day on days.date_day = per_day.call_date
