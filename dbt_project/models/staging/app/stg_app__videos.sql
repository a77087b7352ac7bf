with

videos as (

    select
        video_id,
        user_id,
        creator_id,
        template_id,
        title,
        content_type,
        status,
        provider,
        credits_used,
        duration_seconds,
        thumbnail_url,
        created_at,
        updated_at,
        completed_at,
        loaded_at
    from {{ ref('base_app__videos') }}
    where not is_deleted

)

select * from videos
