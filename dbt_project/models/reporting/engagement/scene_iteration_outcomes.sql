{#- The Admin Analytics Plan's "iterations-to-success (scene_iterations)": one row per scene (scenes soft-deleted in the
    app are left out) with how many edits it took until an edit succeeded. A scene's iterations are ordered by
    created_at, then id; iterations_to_success = the position of its first iteration with succeeded = true (1 = the
    first edit worked). Null when the scene was never edited or no edit has succeeded yet: those scenes are kept
    (is_edited, reached_success say which) but do not enter the average.

    Incremental: a scene's row depends only on the scene and its own edits, so a run rebuilds the scenes whose row or
    an edit of theirs landed since the last build (less the lookback), deleted ones included (the base_ models keep
    them, and a deletion lands), from all of that scene's edits (raw's scene_id index). A scene deleted since is
    retired (pre-hook); an edit moved to another scene (the app never does) would leave its old scene's count. -#}

-- depends_on: {{ ref('base_app__scenes') }}
-- depends_on: {{ ref('base_app__scene_iterations') }}

{{ config(
    materialized='incremental',
    unique_key='scene_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['scene_id'], 'unique': true}, {'columns': ['scene_created_on']}, {'columns': ['built_at']}],
    pre_hook="{{ retire_vanished_entities('scene_id', ref('stg_app__scenes'), among=keys_landed_since_last_build(
        'scene_id', [ref('base_app__scenes'), ref('base_app__scene_iterations')])) }}",
    post_hook="{{ landed_index('loaded_at') }}",
) }}

with

{% if is_incremental() %}

    landed_scenes as (

        {{ keys_landed_since_last_build('scene_id', [ref('base_app__scenes'), ref('base_app__scene_iterations')]) }}

    ),

{% endif %}

scenes as (

    select
        scene_id,
        video_id,
        user_id,
        created_at,
        loaded_at
    from {{ ref('stg_app__scenes') }}
    {% if is_incremental() %}
        where {{ in_query('scene_id', 'select landed_scenes.scene_id from landed_scenes') }}
    {% endif %}

),

iterations as (

    select
        scene_id,
        is_succeeded,
        created_at,
        loaded_at,
        row_number() over (partition by scene_id order by created_at asc, scene_iteration_id asc) as iteration_number
    from {{ ref('stg_app__scene_iterations') }}
    {% if is_incremental() %}
        where {{ in_query('scene_id', 'select landed_scenes.scene_id from landed_scenes') }}
    {% endif %}

),

per_scene as (

    select
        scene_id,
        count(*) as iterations,
        count(case when is_succeeded then 1 end) as successful_iterations,
        min(case when is_succeeded then iteration_number end) as iterations_to_success,
        min(case when is_succeeded then created_at end) as first_success_at,
        max(loaded_at) as loaded_at
    from iterations
    group by scene_id

)

select
    scenes.scene_id,
    scenes.video_id,
    scenes.user_id,
    scenes.created_at as scene_created_at,
    cast(scenes.created_at as date) as scene_created_on,
    coalesce(per_scene.iterations, 0) as iterations,
    coalesce(per_scene.successful_iterations, 0) as successful_iterations,
    coalesce(per_scene.iterations, 0) > 0 as is_edited,
    per_scene.iterations_to_success is not null as reached_success,
    per_scene.iterations_to_success,
    per_scene.first_success_at,
    greatest(scenes.loaded_at, per_scene.loaded_at) as loaded_at,
    {{ build_stamp() }} as built_at
from scenes
left join per_scene on scenes.scene_id = per_scene.scene_id
