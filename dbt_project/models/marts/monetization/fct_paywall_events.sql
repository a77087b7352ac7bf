{#- Every paywall event of the Admin Analytics Plan's monetization funnel, one row per event. Incremental: rows that
    landed within the lookback window are merged on the event id. -#}

{{ config(
    materialized='incremental',
    unique_key='paywall_event_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['event_date']},
        {'columns': ['user_id']},
        {'columns': ['paywall_event_id']},
        {'columns': ['built_at']},
    ],
    post_hook="{{ landed_index('loaded_at') }}",
) }}

with

paywall_events as (

    select
        paywall_event_id,
        user_id,
        session_id,
        event_type,
        package_id,
        plan_at_event,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('stg_app__paywall_events') }}
    {% if is_incremental() %}
        where loaded_at >= {{ incremental_lower_bound('loaded_at', since_last_build=true) }}
    {% endif %}

)

select
    paywall_event_id,
    user_id,
    session_id,
    event_type,
    case event_type
        when 'viewed' then 1
        when 'clicked_package' then 2
        when 'initiated_checkout' then 3
        when 'completed_purchase' then 4
    end as funnel_step,
    package_id,
    plan_at_event,
    created_at,
    cast(created_at as date) as event_date,
    updated_at,
    loaded_at,
    {{ build_stamp() }} as built_at
from paywall_events
