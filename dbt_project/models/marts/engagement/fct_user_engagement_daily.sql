{#- Incremental: each run rebuilds only the users whose history may have changed and carries the others forward
    (macro engagement_history, shared with fct_student_engagement_daily). -#}
{{ config(
    materialized='incremental',
    unique_key=['user_id', 'date_day'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['user_id', 'date_day'], 'unique': True},
        {'columns': ['date_day', 'built_at']},
        {'columns': ['built_at']},
    ],
    pre_hook="{{ delete_vanished_entities('user_id', ref('dim_users'), day_column='date_day') }}",
) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

entities as (

    select
        user_id,
        signup_date
    from {{ ref('dim_users') }}

),

activity as (

    -- Average completion = completed ÷ finished videos × 100.
    select
        user_id,
        activity_date,
        videos_created as videos,
        100.0 * videos_completed as completion_points,
        videos_finished as completion_base,
        loaded_at
    from {{ ref('int_user_daily_activity') }}

),

{{ engagement_history('user_id') }}
