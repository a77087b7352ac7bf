{#- The Creator Dashboard doc's "Chat Volume: Trends over time": per creator and day (UTC) of the message, the students'
    questions to the AI chat, the assistant's replies, the sessions and the students who asked. -#}

{{ config(indexes=[{'columns': ['creator_id', 'date_day']}]) }}

with

messages as (

    select
        creator_id,
        cast(created_at as date) as date_day,
        session_id,
        role
    from {{ ref('stg_app__chat_messages') }}

),

questions as (

    select
        creator_id,
        cast(asked_at as date) as date_day,
        student_id,
        was_answered
    from {{ ref('int_chat_questions') }}

),

messages_per_day as (

    select
        creator_id,
        date_day,
        count(*) as chat_messages,
        count(case when role = 'assistant' then 1 end) as ai_replies,
        count(distinct session_id) as chat_sessions
    from messages
    group by creator_id, date_day

),

questions_per_day as (

    select
        creator_id,
        date_day,
        count(*) as questions_asked,
        count(case when was_answered then 1 end) as questions_answered,
        count(distinct student_id) as students_asking
    from questions
    group by creator_id, date_day

)

select
    messages_per_day.creator_id,
    messages_per_day.date_day,
    coalesce(questions_per_day.questions_asked, 0) as questions_asked,
    coalesce(questions_per_day.questions_answered, 0) as questions_answered,
    coalesce(questions_per_day.students_asking, 0) as students_asking,
    messages_per_day.ai_replies,
    messages_per_day.chat_messages,
    messages_per_day.chat_sessions
from messages_per_day
left join questions_per_day
    on
        messages_per_day.creator_id = questions_per_day.creator_id
        and messages_per_day.date_day = questions_per_day.date_day
