{#- The Admin Analytics Plan's "iterations-to-success (scene_iterations)": one row per scene (scenes soft-deleted in the
    app are left out) with how many edits it took until an edit succeeded. A scene's iterations are ordered by
    created_at, then id; iterations_to_success = the position of its first iteration with succeeded = true (1 = the
    first edit worked). Null when the scene was never edited or no edit has succeeded yet: those scenes are kept
    (is_edited, reached_success say which) but do not enter the average. -#}

{{ config(indexes=[{'columns': ['scene_id'], 'unique': true}, {'columns': ['scene_created_on']}]) }}

with

scenes as (

    select
        scene_id,
        video_id,
        user_id,
        created_at
    from {{ ref('stg_app__scenes') }}

),

iterations as (

    select
        scene_id,
        is_succeeded,
        created_at,
        row_number() over (partition by scene_id order by created_at asc, scene_iteration_id asc) as iteration_number
    from {{ ref('stg_app__scene_iterations') }}

),

per_scene as (

    select
        scene_id,
        count(*) as iterations,
        count(case when is_succeeded then 1 end) as successful_iterations,
        min(case when is_succeeded then iteration_number end) as iterations_to_success,
        min(case when is_succeeded then created_at end) as first_success_at
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
    per_scene.first_success_at
from scenes
left join per_scene on scenes.scene_id = per_scene.scene_id
