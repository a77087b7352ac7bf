{#- Each student question in the creator's AI chat with the assistant reply that followed it in the
    same session (the reply carries the student's 1–5 helpfulness rating, the Creator Dashboard doc). -#}

with

messages as (

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
        lead(role) over (partition by session_id order by created_at, chat_message_id) as next_role,
        lead(helpful_rating) over (partition by session_id order by created_at, chat_message_id) as next_rating
    from {{ ref('stg_app__chat_messages') }}

)

select
    chat_message_id as question_id,
    creator_id,
    student_id,
    video_id,
    session_id,
    content as question,
    created_at as asked_at,
    next_role = 'assistant' as was_answered,
    case when next_role = 'assistant' then next_rating end as reply_rating
from messages
where role = 'user'
