{#- The Creator Dashboard doc's dashboard "peakHours": per creator and hour of the day (UTC, 0-23), what the creator's
    students did in the 30 days up to the reporting time - video views started, questions asked in the AI chat, quiz
    attempts - and which hour is the peak. The doc lists peakHours under "engagement", beside daily active users and
    session time, so every student action counts, not chat alone; the three kinds stay separate columns. Every hour of
    the day has a row for each creator with activity in the window, so quiet hours show as zero. -#}

{{ config(indexes=[{'columns': ['creator_id']}]) }}

with

window_start as (

    select {{ dbt.dateadd('day', -30, reporting_time()) }} as since

),

events as (

    select
        views.creator_id,
        views.student_id,
        views.started_at as event_at,
        'view' as event_kind
    from {{ ref('fct_video_views') }} as views

    union all

    select
        questions.creator_id,
        questions.student_id,
        questions.asked_at as event_at,
        'question' as event_kind
    from {{ ref('int_chat_questions') }} as questions

    union all

    select
        attempts.creator_id,
        attempts.student_id,
        attempts.attempted_at as event_at,
        'quiz_attempt' as event_kind
    from {{ ref('int_quiz_attempts') }} as attempts

),

recent as (

    select
        events.creator_id,
        events.student_id,
        events.event_kind,
        cast(extract(hour from events.event_at) as integer) as hour_of_day
    from events
    cross join window_start
    where
        events.event_at >= window_start.since
        and events.event_at <= {{ reporting_time() }}

),

hours as (

    select cast(generated_number as integer) - 1 as hour_of_day
    from ({{ dbt.generate_series(24) }}) as series

),

creators as (

    select distinct creator_id
    from recent

),

per_hour as (

    select
        creator_id,
        hour_of_day,
        count(case when event_kind = 'view' then 1 end) as views_started,
        count(case when event_kind = 'question' then 1 end) as questions_asked,
        count(case when event_kind = 'quiz_attempt' then 1 end) as quiz_attempts,
        count(*) as activity_events,
        count(distinct student_id) as active_students
    from recent
    group by creator_id, hour_of_day

),

grid as (

    select
        creators.creator_id,
        hours.hour_of_day,
        coalesce(per_hour.views_started, 0) as views_started,
        coalesce(per_hour.questions_asked, 0) as questions_asked,
        coalesce(per_hour.quiz_attempts, 0) as quiz_attempts,
        coalesce(per_hour.activity_events, 0) as activity_events,
        coalesce(per_hour.active_students, 0) as active_students
    from creators
    cross join hours
    left join per_hour
        on
            creators.creator_id = per_hour.creator_id
            and hours.hour_of_day = per_hour.hour_of_day

),

ranked as (

    select
        creator_id,
        hour_of_day,
        views_started,
        questions_asked,
        quiz_attempts,
        activity_events,
        active_students,
        activity_events * 1.0 / sum(activity_events) over (partition by creator_id) as share_of_activity,
        row_number() over (partition by creator_id order by activity_events desc, hour_of_day asc) as activity_rank
    from grid

)

select
    creator_id,
    hour_of_day,
    views_started,
    questions_asked,
    quiz_attempts,
    activity_events,
    active_students,
    share_of_activity,
    activity_rank,
    activity_rank = 1 as is_peak_hour
from ranked
