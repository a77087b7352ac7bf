{#- The Admin Analytics Plan's trend sparkline "paywall": conversions per day = completed_purchase paywall events, every
    day of the calendar (zero when none). -#}

{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select
        date_day,
        week_start,
        days_ago
    from {{ ref('dim_dates') }}

),

purchases as (

    select
        event_date,
        user_id
    from {{ ref('fct_paywall_events') }}
    where event_type = 'completed_purchase'

),

per_day as (

    select
        event_date,
        count(*) as conversions,
        count(distinct user_id) as converting_users
    from purchases
    group by event_date

)

select
    days.date_day,
    days.week_start,
    days.days_ago,
    coalesce(per_day.conversions, 0) as conversions,
    coalesce(per_day.converting_users, 0) as converting_users
from days
left join per_day on days.date_day = per_day.event_date
