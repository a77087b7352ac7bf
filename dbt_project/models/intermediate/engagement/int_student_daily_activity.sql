{#- One row per student and day (UTC) with any learning activity: the day a view of a course video started and
    the day the student last watched it (its last_watched_at: the Creator Dashboard doc's DATE(last_watched); a view
    resumed after midnight is activity on both days), chat questions and quiz attempts. A view's figures (the view, a
    first watch of the video, its watch percentage) count once, on the day it started.

    Incremental by student (a student's rows are rebuilt together): a run rebuilds the students with a view, a chat
    message or a quiz attempt landed since the last build (less the lookback), deletions included (the base_ models
    keep them), from all of that student's rows (raw's student_id indexes): a view's first-watch flag and its
    last_watched_at day need the student's other views, and a view watched again moves its last day. A student
    left with no activity is retired (pre-hook). -#}

-- depends_on: {{ ref('base_app__video_progress') }}
-- depends_on: {{ ref('base_app__chat_messages') }}
-- depends_on: {{ ref('base_app__quiz_attempts') }}

{{ config(
    materialized='incremental',
    unique_key='student_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['student_id', 'activity_date'], 'unique': true}],
    pre_hook="{{ retire_vanished_entities('student_id', [
        {'relation': ref('stg_app__video_progress')},
        {'relation': ref('stg_app__chat_messages'), 'where': \"role = 'user'\"},
        {'relation': ref('stg_app__quiz_attempts')}], among=keys_landed_since_last_build('student_id', [
        ref('base_app__video_progress'), ref('base_app__chat_messages'), ref('base_app__quiz_attempts')])) }}",
    post_hook="{{ landed_index('loaded_at') }}",
) }}

{%- set is_landed_student = in_query('student_id', 'select landed_students.student_id from landed_students') %}


with

{% if is_incremental() %}

    landed_students as (

        {{ keys_landed_since_last_build('student_id', [
            ref('base_app__video_progress'), ref('base_app__chat_messages'), ref('base_app__quiz_attempts')]) }}

    ),

{% endif %}

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
    {% if is_incremental() %}
        where {{ is_landed_student }}
    {% endif %}

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
    where role = 'user'{% if is_incremental() %} and {{ is_landed_student }}{% endif %}
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
    {% if is_incremental() %}
        where {{ is_landed_student }}
    {% endif %}
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
    loaded_at,
    {{ build_stamp() }} as built_at
from daily
