{{ config(indexes=[{'columns': ['creator_id']}]) }}

with

questions as (

    select
        creator_id,
        question,
        student_id,
        reply_rating,
        asked_at
    from {{ ref('int_chat_questions') }}

)

select
    creator_id,
    question,
    count(*) as ask_count,
    count(distinct student_id) as unique_askers,
    avg(reply_rating) as avg_satisfaction,
    max(asked_at) as last_asked_at
from questions
group by creator_id, question
having count(*) >= 2
