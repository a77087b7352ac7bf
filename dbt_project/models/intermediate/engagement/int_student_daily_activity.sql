{#- One row per student and day (UTC) with any learning activity: the day a view of a course video started and
    the day the student last watched it (its last_watched_at: the Creator Dashboard doc's DATE(last_watched); a view
    resumed after midnight is activity on both days), chat questions and quiz attempts. A view's figures (the view, a
    first watch of the video, its watch percentage) count once, on the day it started. -#}

with

views as (

    select
        student_id,
        video_id,
        watch_percentage,
        created_at,
        last_watched_at,
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

watched_on as (

    -- The day the student last watched a view started on an earlier day: activity, with no figures.
    select
        student_id,
        cast(last_watched_at as date) as activity_date,
        0 as views,
        0 as new_videos_watched,
        0 as watch_percentage_sum,
        0 as questions,
        0 as quiz_attempts,
        max(loaded_at) as loaded_at
    from views
    where cast(last_watched_at as date) > cast(created_at as date)
    group by student_id, cast(last_watched_at as date)

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
    select * from watched_on
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
