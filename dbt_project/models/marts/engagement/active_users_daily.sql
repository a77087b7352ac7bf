{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

activity as (

    select
        user_id,
        activity_date
    from {{ ref('int_user_daily_activity') }}

),

windows as (

    select
        days.date_day,
        count(distinct case when activity.activity_date = days.date_day then activity.user_id end) as dau,
        count(distinct case
            when activity.activity_date > {{ dbt.dateadd('day', -7, 'days.date_day') }} then activity.user_id
        end) as wau,
        count(distinct activity.user_id) as mau

    from days
    left join activity
        on
            days.date_day >= activity.activity_date
            and activity.activity_date > {{ dbt.dateadd('day', -30, 'days.date_day') }}
    group by days.date_day

)

select
    date_day,
    dau,
    wau,
    mau,
    dau * 1.0 / nullif(mau, 0) as stickiness
from windows
