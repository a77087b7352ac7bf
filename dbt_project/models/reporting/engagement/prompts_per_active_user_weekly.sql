{#- The Admin Analytics Plan's "prompts per active user (messages)", per calendar week (Monday to Sunday, UTC), every
    week of app history including the one still running (is_complete_week says which). prompts = messages with role
    'user' sent in the week (fct_prompts, the same prompts as content_daily_kpis); active_users = distinct users with
    any activity in the week (int_user_daily_activity, the definition behind DAU/WAU/MAU); prompts_per_active_user =
    prompts ÷ active_users. -#}

{{ config(indexes=[{'columns': ['week_start'], 'unique': true}]) }}

with

weeks as (

    select
        week_start,
        max(date_day) as last_day_so_far
    from {{ ref('dim_dates') }}
    group by week_start

),

prompts as (

    select
        user_id,
        cast({{ dbt.date_trunc('week', 'sent_on') }} as date) as week_start
    from {{ ref('fct_prompts') }}

),

activity as (

    select
        user_id,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as week_start
    from {{ ref('int_user_daily_activity') }}

),

prompts_per_week as (

    select
        week_start,
        count(*) as prompts,
        count(distinct user_id) as prompting_users
    from prompts
    group by week_start

),

active_per_week as (

    select
        week_start,
        count(distinct user_id) as active_users
    from activity
    group by week_start

)

select
    weeks.week_start,
    cast({{ dbt.dateadd('day', 6, 'weeks.week_start') }} as date) as week_end,
    weeks.last_day_so_far < cast({{ dbt.dateadd('day', 6, 'weeks.week_start') }} as date) as is_partial_week,
    coalesce(prompts_per_week.prompts, 0) as prompts,
    coalesce(prompts_per_week.prompting_users, 0) as prompting_users,
    coalesce(active_per_week.active_users, 0) as active_users,
    coalesce(prompts_per_week.prompts, 0) * 1.0 / nullif(active_per_week.active_users, 0) as prompts_per_active_user,
    prompts_per_week.prompts * 1.0 / nullif(prompts_per_week.prompting_users, 0) as prompts_per_prompting_user
from weeks
left join prompts_per_week on weeks.week_start = prompts_per_week.week_start
left join active_per_week on weeks.week_start = active_per_week.week_start
