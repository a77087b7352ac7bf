{{ config(indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['engagement_tier']}]) }}

with

latest as (

    select
        user_id,
        date_day,
        last_active_date,
        days_inactive,
        videos_to_date,
        avg_completion,
        engagement_tier
    from {{ ref('fct_user_engagement_daily') }}
    where date_day = {{ reporting_date() }}

),

users as (

    select
        user_id,
        plan
    from {{ ref('dim_users') }}

)

select
    latest.user_id,
    users.plan,
    latest.date_day as as_of_date,
    latest.last_active_date,
    latest.days_inactive,
    latest.videos_to_date,
    latest.avg_completion,
    latest.engagement_tier
from latest
inner join users on latest.user_id = users.user_id
