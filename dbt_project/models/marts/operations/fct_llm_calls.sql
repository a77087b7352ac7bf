{#- Every LLM API call of the Admin Analytics Plan's LLM usage section (api_usage_metrics), one row per call, priced at
    the model's price per 1k input/output tokens in effect on the call day (the finance team's price file). Incremental:
    rows that landed within the lookback window are merged on the call id. -#}

{{ config(
    materialized='incremental',
    unique_key='api_call_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['call_date']},
        {'columns': ['tool_name']},
        {'columns': ['api_call_id']},
        {'columns': ['built_at']},
    ],
    post_hook="{{ landed_index('loaded_at') }}",
) }}

with

calls as (

    select
        api_call_id,
        user_id,
        video_id,
        provider,
        model,
        tool_name,
        input_tokens,
        output_tokens,
        response_ms,
        is_success,
        error_message,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('stg_app__api_usage_metrics') }}
    {% if is_incremental() %}
        where loaded_at >= {{ incremental_lower_bound('loaded_at', since_last_build=true) }}
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

)

select
    calls.api_call_id,
    calls.user_id,
    calls.video_id,
    calls.provider,
    calls.model,
    coalesce(calls.tool_name, '(none)') as tool_name,
    calls.input_tokens,
    calls.output_tokens,
    calls.input_tokens + calls.output_tokens as total_tokens,
    calls.response_ms,
    calls.is_success,
    calls.error_message,
    calls.created_at,
    cast(calls.created_at as date) as call_date,
    calls.updated_at,
    calls.loaded_at,
    prices.usd_per_1k_input is not null as is_priced,
    calls.input_tokens / 1000.0 * prices.usd_per_1k_input
    + calls.output_tokens / 1000.0 * prices.usd_per_1k_output as cost_usd,
    {{ build_stamp() }} as built_at
from calls
left join prices
    on
        calls.provider = prices.provider
        and calls.model = prices.model
        and cast(calls.created_at as date) >= prices.effective_from
        and (prices.effective_to is null or cast(calls.created_at as date) < prices.effective_to)
