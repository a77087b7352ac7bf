{{ config(
    materialized='incremental',
    unique_key='message_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['sent_on']}, {'columns': ['message_id']}, {'columns': ['built_at']}],
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
