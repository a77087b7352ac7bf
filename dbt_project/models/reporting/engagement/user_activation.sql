{{ config(indexes=[{'columns': ['signup_week']}, {'columns': ['user_id'], 'unique': true}]) }}

with

users as (

    select
        user_id,
        plan,
        signed_up_at,
        signup_week
    from {{ ref('dim_users') }}

),

first_prompts as (

    select
        user_id,
        min(created_at) as first_prompt_at
    from {{ ref('stg_app__messages') }}
    where role = 'user'
    group by user_id

),

first_scenes as (

    select
        first_prompts.user_id,
        min(scenes.created_at) as first_scene_at
    from first_prompts
    inner join {{ ref('stg_app__scenes') }} as scenes
        on
            first_prompts.user_id = scenes.user_id
            and first_prompts.first_prompt_at <= scenes.created_at
    group by first_prompts.user_id

),

first_exports as (

    select
        first_scenes.user_id,
        min(exports.created_at) as first_export_at
    from first_scenes
    inner join {{ ref('stg_app__exports') }} as exports
        on
            first_scenes.user_id = exports.user_id
            and first_scenes.first_scene_at <= exports.created_at
    group by first_scenes.user_id

),

steps as (

    select
        users.user_id,
        users.plan,
        users.signed_up_at,
        users.signup_week,
        first_prompts.first_prompt_at,
        first_scenes.first_scene_at,
        first_exports.first_export_at
    from users
    left join first_prompts on users.user_id = first_prompts.user_id
    left join first_scenes on users.user_id = first_scenes.user_id
    left join first_exports on users.user_id = first_exports.user_id

)

select
    user_id,
    plan,
    signed_up_at,
    signup_week,
    first_prompt_at,
    first_scene_at,
    first_export_at,
    -- dbt.datediff in seconds is double precision on PostgreSQL; published measures are numeric (the contract).
    cast({{ dbt.datediff('signed_up_at', 'first_prompt_at', 'second') }} / 3600.0 as numeric) as hours_to_first_prompt,  -- noqa: LT05
    cast({{ dbt.datediff('first_prompt_at', 'first_scene_at', 'second') }} / 3600.0 as numeric) as hours_prompt_to_first_scene,  -- noqa: LT05
    cast({{ dbt.datediff('first_scene_at', 'first_export_at', 'second') }} / 3600.0 as numeric) as hours_scene_to_first_export  -- noqa: LT05
from steps
