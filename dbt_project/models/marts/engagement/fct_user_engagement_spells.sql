{#- Spells: one row per user per period of unchanged tier and figures (macro engagement_spells, shared with
    fct_student_engagement_spells). Incremental: each run rebuilds only the users whose history may have changed:
    new users and those whose sign-up changed, and the users of the int_user_daily_activity versions written or
    retired since this model's last build (macro versions_since_last_build; that model rebuilds the days on which
    activity landed or was deleted, a video completing included: its row lands again and restamps the day it was
    created), reading the activity of those users alone (the store's user_id index, raw videos' user_id index).
    Without that stamp (a first build, a publication this model missed) the macro compares every user's totals with
    all activity instead. -#}
{{ config(
    materialized='incremental',
    unique_key=['user_id'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['user_id', 'valid_from'], 'unique': True},
        {'columns': ['valid_from', 'valid_to']},
        {'columns': ['valid_to']},
    ],
    pre_hook="{{ retire_vanished_entities('user_id', ref('dim_users')) }}",
) }}

{%- set since = versions_since_last_build() if engagement_spells_are_incremental('user_id') else none -%}
{%- set rebuilt_users = in_query('user_id', 'select users_to_rebuild.user_id from users_to_rebuild')
    if since else 'true' -%}

with

entities as (

    select
        user_id,
        signup_date
    from {{ ref('dim_users') }}

),

{% if since %}

    open_spells as (

        select
            user_id,
            signup_date
        from {{ this }}
        where valid_to is null

    ),

    users_to_rebuild as (

        -- New users, a changed sign-up, and activity versions written or retired since the last build.
        select entities.user_id
        from entities
        left join open_spells on entities.user_id = open_spells.user_id
        where open_spells.user_id is null or open_spells.signup_date is distinct from entities.signup_date
        union
        {{ keys_of_versions_since('user_id', ref('int_user_daily_activity'), since) }}

    ),

{% endif %}

activity_and_videos as (

    -- Days the user did something (int_user_daily_activity); videos count on the day the user started them
    -- (the Creator Dashboard doc's videos_watched read for a creator: the videos they made), and each completed render
    -- adds 100 completion points on the day it completed — figures, not activity.
    select
        user_id,
        activity_date,
        1 as active,
        videos_created as videos,
        0 as completion_points,
        videos_created as completion_base,
        loaded_at
    from {{ ref('int_user_daily_activity') }}
    where {{ rebuilt_users }}

    union all

    select
        user_id,
        cast(greatest(created_at, completed_at) as date) as activity_date,
        0 as active,
        0 as videos,
        100.0 * count(*) as completion_points,
        0 as completion_base,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__videos') }}
    where
        status = 'completed' and completed_at is not null
        and {{ rebuilt_users }}
    group by user_id, cast(greatest(created_at, completed_at) as date)

),

activity as (

    -- Average completion to date = videos completed by the day ÷ videos started by it × 100 (the Dashboard Proposal
    -- "percentage of started videos that reach completion"): a failed render simply never completes.
    select
        user_id,
        activity_date,
        max(active) = 1 as is_active,
        sum(videos) as videos,
        sum(completion_points) as completion_points,
        sum(completion_base) as completion_base,
        max(loaded_at) as loaded_at
    from activity_and_videos
    group by user_id, activity_date

),

{{ engagement_spells('user_id', rebuild='users_to_rebuild' if since else none) }}
