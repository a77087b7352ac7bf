{{ config(
    indexes=[{'columns': ['date_day']}, {'columns': ['user_id']}],
) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

users as (

    select
        user_id,
        signup_date
    from {{ ref('dim_users') }}

),

activity as (

    select
        user_id,
        activity_date,
        videos_created,
        videos_finished,
        videos_completed
    from {{ ref('int_user_daily_activity') }}

),

user_days as (

    select
        users.user_id,
        users.signup_date,
        days.date_day
    from users
    inner join days on users.signup_date <= days.date_day

),

timeline as (

    -- Each user's days and activity in one stream, activity first within a day: running totals over it give
    -- every day's figures to date in one pass (a range join of days to all earlier activity grew with days
    -- squared).
    select
        user_id,
        signup_date,
        date_day,
        true as is_day,
        null as activity_date,
        null as videos_created,
        null as first_week_videos,
        null as videos_finished,
        null as videos_completed
    from user_days

    union all

    select
        activity.user_id,
        users.signup_date,
        activity.activity_date as date_day,
        false as is_day,
        activity.activity_date,
        activity.videos_created,
        case
            when activity.activity_date < {{ dbt.dateadd('day', 7, 'users.signup_date') }}
                then activity.videos_created
        end as first_week_videos,
        activity.videos_finished,
        activity.videos_completed
    from activity
    inner join users on activity.user_id = users.user_id

),

to_date as (

    select
        user_id,
        signup_date,
        date_day,
        is_day,
        coalesce(max(activity_date) over running, signup_date) as last_active_date,
        coalesce(sum(videos_created) over running, 0) as videos_to_date,
        coalesce(sum(first_week_videos) over running, 0) as first_week_videos,
        100.0 * sum(videos_completed) over running / nullif(sum(videos_finished) over running, 0) as avg_completion
    from timeline
    window running as (partition by user_id order by date_day, is_day rows unbounded preceding)

),

tiered as (

    select
        user_id,
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
    user_id,
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
