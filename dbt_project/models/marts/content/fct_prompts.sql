{#- A prompt hard-deleted in the app lands in base_app__messages (the reconciling load's mark): retired (pre-hook). -#}
-- depends_on: {{ ref('base_app__messages') }}

{{ config(
    materialized='incremental',
    unique_key='message_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['sent_on']}, {'columns': ['message_id']}, {'columns': ['built_at']}],
    pre_hook="{{ retire_vanished_entities('message_id', ref('stg_app__messages'), among=keys_landed_since_last_build(
        'message_id', [ref('base_app__messages')])) }}",
    post_hook="{{ landed_index('loaded_at') }}",
) }}

with

prompts as (

    select
        message_id,
        user_id,
        video_id,
        token_count,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('stg_app__messages') }}
    where role = 'user'

),

changed_prompts as (

    select
        message_id,
        user_id,
        video_id,
        token_count,
        created_at,
        updated_at,
        loaded_at
    from prompts
    {% if is_incremental() %}
        where loaded_at >= {{ incremental_lower_bound('loaded_at', since_last_build=true) }}
    {% endif %}

)

select
    message_id,
    user_id,
    video_id,
    token_count,
    created_at as sent_at,
    cast(created_at as date) as sent_on,
    updated_at,
    loaded_at,
    {{ build_stamp() }} as built_at
from changed_prompts
