{#- The Creator Dashboard doc's "Related Questions: questions asked about each video": per course video and question
    text, how often students asked it in the AI chat opened beside that video, by how many students, the mean 1-5 rating
    of the replies and when it was last asked. Unlike most_asked_questions (the doc's view keeps texts asked at least
    twice, per creator), every question asked about the video is listed. -#}

{{ config(indexes=[{'columns': ['creator_id']}]) }}

with

videos as (

    select
        video_id,
        creator_id,
        title
    from {{ ref('int_course_videos') }}

),

questions as (

    select
        video_id,
        question,
        student_id,
        reply_rating,
        asked_at
    from {{ ref('int_chat_questions') }}
    where video_id is not null

),

per_question as (

    select
        video_id,
        question,
        count(*) as ask_count,
        count(distinct student_id) as unique_askers,
        avg(reply_rating) as avg_satisfaction,
        max(asked_at) as last_asked_at
    from questions
    group by video_id, question

)

select
    videos.creator_id,
    videos.video_id,
    videos.title,
    per_question.question,
    per_question.ask_count,
    per_question.unique_askers,
    per_question.avg_satisfaction,
    per_question.last_asked_at
from per_question
inner join videos on per_question.video_id = videos.video_id
