with

video_ready_events as (

    select
        ready_event_id,
        user_id,
        video_id,
        event_type,
        plan_at_event,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__video_ready_events') }}
    where not is_deleted

)

select * from video_ready_events
