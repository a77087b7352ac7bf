{%- set days_inactive = dbt.datediff('engagement.last_active_date', reporting_date(), 'day') %}
{{ config(indexes=[{'columns': ['creator_id'], 'unique': true}]) }}

with

creators as (

    select
        creator_id,
        subscription_tier,
        created_at
    from {{ ref('stg_app__creators') }}

),

students as (

    select
        creator_id,
        count(*) as students_total,
        count(case
            when created_at >= {{ dbt.date_trunc('month', reporting_time()) }} then 1
        end) as students_new_this_month
    from {{ ref('stg_app__students') }}
    group by creator_id

),

activity as (

    -- Active = a last activity fewer than 7 / 30 days before the reporting date. A student who never did anything
    -- has no last activity (days_inactive is null) and is active in neither window. The spell covering the
    -- reporting date holds each student's figures that day.
    select
        engagement.creator_id,
        count(case when {{ days_inactive }} < 7 then 1 end) as students_active_7d,
        count(case when {{ days_inactive }} < 30 then 1 end) as students_active_30d,
        count(case when engagement.engagement_tier in ('at_risk', 'inactive') then 1 end) as students_at_risk
    from {{ ref('fct_student_engagement_spells') }} as engagement
    where {{ spell_covering('engagement', reporting_date()) }}
    group by engagement.creator_id

),

views as (

    select
        creator_id,
        count(distinct video_id) as videos_watched,
        avg(watch_fraction) as avg_watch_fraction,
        avg(case when is_completed then 1.0 else 0.0 end) as completion_rate
    from {{ ref('fct_video_views') }}
    group by creator_id

),

chat as (

    select
        creator_id,
        count(*) as questions_asked,
        count(case when was_answered then 1 end) as questions_answered,
        count(case when reply_rating >= 4 then 1 end) * 1.0 / nullif(count(reply_rating), 0) as ai_satisfaction_rate
    from {{ ref('int_chat_questions') }}
    group by creator_id

),

session_lengths as (

    select
        creator_id,
        cast(avg(session_minutes) as numeric) as avg_session_minutes
    from {{ ref('int_chat_sessions') }}
    group by creator_id

),

quizzes as (

    select
        creator_id,
        count(quiz_attempt_id) as quiz_attempts,
        count(case when is_passed then 1 end) as quizzes_passed
    from {{ ref('int_quiz_attempts') }}
    group by creator_id

)

select
    creators.creator_id,
    creators.subscription_tier,
    coalesce(students.students_total, 0) as students_total,
    coalesce(activity.students_active_7d, 0) as students_active_7d,
    coalesce(activity.students_active_30d, 0) as students_active_30d,
    coalesce(students.students_new_this_month, 0) as students_new_this_month,
    coalesce(activity.students_at_risk, 0) as students_at_risk,
    coalesce(views.videos_watched, 0) as videos_watched,
    views.avg_watch_fraction,
    views.completion_rate,
    coalesce(quizzes.quiz_attempts, 0) as quiz_attempts,
    quizzes.quizzes_passed * 1.0 / nullif(quizzes.quiz_attempts, 0) as quiz_pass_rate,
    coalesce(chat.questions_asked, 0) as questions_asked,
    coalesce(chat.questions_answered, 0) as questions_answered,
    chat.ai_satisfaction_rate,
    session_lengths.avg_session_minutes
from creators
left join students on creators.creator_id = students.creator_id
left join activity on creators.creator_id = activity.creator_id
left join views on creators.creator_id = views.creator_id
left join chat on creators.creator_id = chat.creator_id
left join session_lengths on creators.creator_id = session_lengths.creator_id
left join quizzes on creators.creator_id = quizzes.creator_id
