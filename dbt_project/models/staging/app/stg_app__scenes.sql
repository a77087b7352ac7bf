with

scenes as (

    select
        scene_id,
        video_id,
        user_id,
        scene_position,
        prompt,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__scenes') }}
    where not is_deleted

)

select * from scenes
