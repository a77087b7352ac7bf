with

scene_iterations as (

    select
        scene_iteration_id,
        scene_id,
        user_id,
        edit_type,
        is_succeeded,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__scene_iterations') }}
    where not is_deleted

)

select * from scene_iterations
