with

chat_messages as (

    select
        chat_message_id,
        creator_id,
        student_id,
        video_id,
        session_id,
        role,
        content,
        helpful_rating,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__chat_messages') }}
    where not is_deleted

)

select * from chat_messages
