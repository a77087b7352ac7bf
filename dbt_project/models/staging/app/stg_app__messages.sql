with

messages as (

    select
        message_id,
        user_id,
        video_id,
        role,
        content,
        token_count,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__messages') }}
    where not is_deleted

)

select * from messages
