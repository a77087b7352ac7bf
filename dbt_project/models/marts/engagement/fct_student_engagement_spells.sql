{#- Spells like fct_user_engagement_spells (macro engagement_spells): each run rebuilds only the students whose
    history may have changed. -#}
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

with

entities as (

    select
        student_id,
        creator_id,
        cast(created_at as date) as signup_date
    from {{ ref('stg_app__students') }}

),

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

),

{{ engagement_spells('student_id', attributes=['creator_id']) }}
