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

to_date as (

    select
        student_days.student_id,
        student_days.creator_id,
        student_days.signup_date,
        student_days.date_day,
        coalesce(max(activity.activity_date), student_days.signup_date) as last_active_date,
        coalesce(sum(activity.new_videos_watched), 0) as videos_to_date,
        coalesce(sum(case
            when activity.activity_date < {{ dbt.dateadd('day', 7, 'student_days.signup_date') }}
                then activity.new_videos_watched
        end), 0) as first_week_videos,
        sum(activity.watch_percentage_sum) / nullif(sum(activity.views), 0) as avg_completion

    from student_days
    left join activity
        on
            student_days.student_id = activity.student_id
            and student_days.date_day >= activity.activity_date
    group by student_days.student_id, student_days.creator_id, student_days.signup_date, student_days.date_day

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
