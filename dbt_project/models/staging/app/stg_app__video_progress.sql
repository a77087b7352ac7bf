with

video_progress as (

    select
        view_id,
        student_id,
        creator_id,
        video_id,
        watch_duration_seconds,
        watch_percentage,
        is_completed,
        last_watched_at,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__video_progress') }}
    where not is_deleted

)

select * from video_progress
