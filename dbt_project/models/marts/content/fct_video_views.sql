{{ config(
    materialized='incremental',
    unique_key='view_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['video_id']},
        {'columns': ['creator_id']},
        {'columns': ['view_id']},
        {'columns': ['built_at']},
    ],
    post_hook="{{ landed_index('loaded_at') }}",
) }}

with

views as (

    select
        view_id,
        video_id,
        creator_id,
        student_id,
        watch_duration_seconds,
        watch_percentage,
        is_completed,
        created_at,
        last_watched_at,
        updated_at,
        loaded_at
    from {{ ref('stg_app__video_progress') }}
    {% if is_incremental() %}
        where loaded_at >= {{ incremental_lower_bound('loaded_at', since_last_build=true) }}
    {% endif %}

)

select
    view_id,
    video_id,
    creator_id,
    student_id,
    watch_duration_seconds,
    watch_percentage / 100.0 as watch_fraction,
    is_completed,
    created_at as started_at,
    cast(created_at as date) as started_on,
    last_watched_at,
    cast(last_watched_at as date) as watched_on,
    updated_at,
    loaded_at,
    {{ build_stamp() }} as built_at
from views
