{#- Spells like fct_user_engagement_spells (macro engagement_spells): each run rebuilds only the students whose
    history may have changed: new students and those whose creator or sign-up changed, and the students of the
    int_student_daily_activity versions written or retired since this model's last build (macro
    versions_since_last_build; that model rebuilds the students whose views, chat questions or quiz attempts landed
    or were deleted), reading the activity of those students alone (its store's student_id index). Without that
    stamp (a first build, a publication this model missed) the macro compares every student's totals with all
    activity instead. -#}
{{ config(
    materialized='incremental',
    unique_key=['student_id'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['student_id', 'valid_from'], 'unique': True},
        {'columns': ['valid_from', 'valid_to']},
        {'columns': ['valid_to']},
        {'columns': ['creator_id', 'valid_from']},
    ],
    pre_hook="{{ retire_vanished_entities('student_id', ref('stg_app__students')) }}",
) }}

{%- set since = versions_since_last_build()
    if engagement_spells_are_incremental('student_id', attributes=['creator_id']) else none -%}

with

entities as (

    select
        student_id,
        creator_id,
        cast(created_at as date) as signup_date
    from {{ ref('stg_app__students') }}

),

{% if since %}

    open_spells as (

        select
            student_id,
            creator_id,
            signup_date
        from {{ this }}
        where valid_to is null

    ),

    students_to_rebuild as (

        -- New students, a changed creator or sign-up, and activity versions written or retired since the last build.
        select entities.student_id
        from entities
        left join open_spells on entities.student_id = open_spells.student_id
        where
            open_spells.student_id is null
            or open_spells.creator_id is distinct from entities.creator_id
            or open_spells.signup_date is distinct from entities.signup_date
        union
        {{ keys_of_versions_since('student_id', ref('int_student_daily_activity'), since) }}

    ),

{% endif %}

activity as (

    -- Videos = course videos watched for the first time; average completion = mean watch percentage of all views.
    -- Every row is something the student did.
    select
        student_id,
        activity_date,
        true as is_active,
        new_videos_watched as videos,
        watch_percentage_sum as completion_points,
        views as completion_base,
        loaded_at
    from {{ ref('int_student_daily_activity') }}
    {% if since %}
        where {{ in_query('student_id', 'select students_to_rebuild.student_id from students_to_rebuild') }}
    {% endif %}

),

{{ engagement_spells('student_id', attributes=['creator_id'], rebuild='students_to_rebuild' if since else none) }}
