{#- Each LLM call's cost: input and output tokens × the model's price per 1k tokens in effect on the
    day of the call (the finance team's price file). Incremental: calls are append-mostly and many. -#}

{{ config(materialized='incremental', unique_key='api_call_id', incremental_strategy='merge') }}

with

calls as (

    select
        api_call_id,
        user_id,
        video_id,
        provider,
        model,
        input_tokens,
        output_tokens,
        created_at,
        updated_at
    from {{ ref('stg_app__api_usage_metrics') }}
    {% if is_incremental() %}
        where updated_at >= {{ incremental_lower_bound('updated_at') }}
    {% endif %}

),

prices as (

    select
        provider,
        model,
        usd_per_1k_input,
        usd_per_1k_output,
        effective_from,
        effective_to
    from {{ ref('stg_costs__llm_model_prices') }}

),

priced as (

    select
        calls.api_call_id,
        calls.user_id,
        calls.video_id,
        calls.provider,
        calls.model,
        calls.input_tokens,
        calls.output_tokens,
        calls.created_at,
        calls.updated_at,
        prices.usd_per_1k_input is not null as is_priced,
        calls.input_tokens / 1000.0 * prices.usd_per_1k_input
        + calls.output_tokens / 1000.0 * prices.usd_per_1k_output as cost_usd

    from calls
    left join prices
        on
            calls.provider = prices.provider
            and calls.model = prices.model
            and cast(calls.created_at as date) >= prices.effective_from
            and (prices.effective_to is null or cast(calls.created_at as date) < prices.effective_to)

)

select
    api_call_id,
    user_id,
    video_id,
    provider,
    model,
    input_tokens,
    output_tokens,
    created_at,
    updated_at,
    is_priced,
    cost_usd
from priced
