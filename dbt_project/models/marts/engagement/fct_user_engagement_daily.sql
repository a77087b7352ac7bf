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

to_date as (

    select
        user_days.user_id,
        user_days.signup_date,
        user_days.date_day,
        coalesce(max(activity.activity_date), user_days.signup_date) as last_active_date,
        coalesce(sum(activity.videos_created), 0) as videos_to_date,
        coalesce(sum(case
            when activity.activity_date < {{ dbt.dateadd('day', 7, 'user_days.signup_date') }}
                then activity.videos_created
        end), 0) as first_week_videos,
        100.0 * sum(activity.videos_completed) / nullif(sum(activity.videos_finished), 0) as avg_completion

    from user_days
    left join activity
        on
            user_days.user_id = activity.user_id
            and user_days.date_day >= activity.activity_date
    group by user_days.user_id, user_days.signup_date, user_days.date_day

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
