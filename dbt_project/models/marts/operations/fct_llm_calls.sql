{#- Every LLM API call of seed 004's LLM usage section (api_usage_metrics), one row per call. Incremental:
    rows changed within the lookback window are merged on the call id. -#}

{{ config(
    materialized='incremental',
    unique_key='api_call_id',
    incremental_strategy='merge',
    indexes=[{'columns': ['call_date']}, {'columns': ['tool_name']}],
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
        updated_at
    from {{ ref('stg_app__api_usage_metrics') }}
    {% if is_incremental() %}
        where updated_at >= {{ incremental_lower_bound('updated_at') }}
    {% endif %}

)

select
    api_call_id,
    user_id,
    video_id,
    provider,
    model,
    coalesce(tool_name, '(none)') as tool_name,
    input_tokens,
    output_tokens,
    input_tokens + output_tokens as total_tokens,
    response_ms,
    is_success,
    error_message,
    created_at,
    cast(created_at as date) as call_date,
    updated_at
from calls
