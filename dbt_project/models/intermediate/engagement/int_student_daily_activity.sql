{#- One row per student and day (UTC) with any learning activity: views of course videos (and
    videos watched for the first time), chat questions and quiz attempts. -#}

with

views as (

    select
        student_id,
        video_id,
        watch_percentage,
        created_at,
        min(created_at) over (partition by student_id, video_id) as first_viewed_at,
        loaded_at
    from {{ ref('stg_app__video_progress') }}

),

watching as (

    select
        student_id,
        cast(created_at as date) as activity_date,
        count(*) as views,
        count(case when created_at = first_viewed_at then 1 end) as new_videos_watched,
        sum(watch_percentage) as watch_percentage_sum,
        0 as questions,
        0 as quiz_attempts,
        max(loaded_at) as loaded_at
    from views
    group by student_id, cast(created_at as date)

),

questions as (

    select
        student_id,
        cast(created_at as date) as activity_date,
        0 as views,
        0 as new_videos_watched,
        0 as watch_percentage_sum,
        count(*) as questions,
        0 as quiz_attempts,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__chat_messages') }}
    where role = 'user'
    group by student_id, cast(created_at as date)

),

quizzes as (

    select
        student_id,
        cast(created_at as date) as activity_date,
        0 as views,
        0 as new_videos_watched,
        0 as watch_percentage_sum,
        0 as questions,
        count(*) as quiz_attempts,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__quiz_attempts') }}
    group by student_id, cast(created_at as date)

),

unioned as (

    select * from watching
    union all
    select * from questions
    union all
    select * from quizzes

),

daily as (

    select
        student_id,
        activity_date,
        sum(views) as views,
        sum(new_videos_watched) as new_videos_watched,
        sum(watch_percentage_sum) as watch_percentage_sum,
        sum(questions) as questions,
        sum(quiz_attempts) as quiz_attempts,
        max(loaded_at) as loaded_at
    from unioned
    group by student_id, activity_date

)

select
    student_id,
    activity_date,
    views,
    new_videos_watched,
    watch_percentage_sum,
    questions,
    quiz_attempts,
    loaded_at
from daily
