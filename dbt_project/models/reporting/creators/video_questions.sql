{#- The Creator Dashboard doc's Video Analytics "Related Questions: questions asked about each video" ("many questions =
    confusion"): per course video with questions, the students' questions in the AI chat opened beside that video (chat
    message video_id), how many students asked, the video's views, questions per 100 views and the most asked question.
    All time; videos deleted in the app are left out. -#}

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
        student_id,
        question,
        asked_at
    from {{ ref('int_chat_questions') }}
    where video_id is not null

),

per_video as (

    select
        video_id,
        count(*) as questions_asked,
        count(distinct student_id) as students_asking,
        count(distinct question) as distinct_questions,
        max(asked_at) as last_asked_at
    from questions
    group by video_id

),

question_counts as (

    select
        video_id,
        question,
        count(*) as asks,
        row_number() over (partition by video_id order by count(*) desc, question asc) as popularity
    from questions
    group by video_id, question

),

views as (

    select
        video_id,
        count(*) as views
    from {{ ref('fct_video_views') }}
    group by video_id

)

select
    videos.creator_id,
    videos.video_id,
    videos.title,
    per_video.questions_asked,
    per_video.students_asking,
    per_video.distinct_questions,
    coalesce(views.views, 0) as views,
    per_video.questions_asked * 100.0 / nullif(views.views, 0) as questions_per_100_views,
    question_counts.question as top_question,
    question_counts.asks as top_question_asks,
    per_video.last_asked_at
from per_video
inner join videos on per_video.video_id = videos.video_id
inner join question_counts on per_video.video_id = question_counts.video_id and question_counts.popularity = 1
left join views on per_video.video_id = views.video_id
