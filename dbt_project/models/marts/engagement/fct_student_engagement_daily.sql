{{ config(
    indexes=[{'columns': ['date_day']}, {'columns': ['creator_id', 'date_day']}],
) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

students as (

    select
        student_id,
        creator_id,
        cast(created_at as date) as signup_date
    from {{ ref('stg_app__students') }}

),

activity as (

    select
        student_id,
        activity_date,
        views,
        new_videos_watched,
        watch_percentage_sum
    from {{ ref('int_student_daily_activity') }}

),

student_days as (

    select
        students.student_id,
        students.creator_id,
        students.signup_date,
        days.date_day
    from students
    inner join days on students.signup_date <= days.date_day

),

timeline as (

    -- Days and activity in one stream, activity first within a day: running totals give each day's figures to
    -- date in one pass (see fct_user_engagement_daily).
    select
        student_id,
        creator_id,
        signup_date,
        date_day,
        true as is_day,
        null as activity_date,
        null as new_videos_watched,
        null as first_week_videos,
        null as watch_percentage_sum,
        null as views
    from student_days

    union all

    select
        activity.student_id,
        students.creator_id,
        students.signup_date,
        activity.activity_date as date_day,
        false as is_day,
        activity.activity_date,
        activity.new_videos_watched,
        case
            when activity.activity_date < {{ dbt.dateadd('day', 7, 'students.signup_date') }}
                then activity.new_videos_watched
        end as first_week_videos,
        activity.watch_percentage_sum,
        activity.views
    from activity
    inner join students on activity.student_id = students.student_id

),

to_date as (

    select
        student_id,
        creator_id,
        signup_date,
        date_day,
        is_day,
        coalesce(max(activity_date) over running, signup_date) as last_active_date,
        coalesce(sum(new_videos_watched) over running, 0) as videos_to_date,
        coalesce(sum(first_week_videos) over running, 0) as first_week_videos,
        sum(watch_percentage_sum) over running / nullif(sum(views) over running, 0) as avg_completion
    from timeline
    window running as (partition by student_id order by date_day, is_day rows unbounded preceding)

),

tiered as (

    select
        student_id,
        creator_id,
        date_day,
        last_active_date,
        {{ dbt.datediff('last_active_date', 'date_day', 'day') }} as days_inactive,  -- noqa: LT05
        {{ dbt.datediff('signup_date', 'date_day', 'day') }} as account_age_days,  -- noqa: LT05
        videos_to_date,
        first_week_videos,
        avg_completion
    from to_date
    where is_day

)

select
    student_id,
    creator_id,
    date_day,
    last_active_date,
    days_inactive,
    account_age_days,
    videos_to_date,
    first_week_videos,
    avg_completion,
    {{ engagement_tier('days_inactive', 'videos_to_date', 'first_week_videos', 'account_age_days',
                       'coalesce(avg_completion, 0)') }} as engagement_tier
from tiered
