{{ config(indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['engagement_tier']}]) }}

with

latest as (

    select
        user_id,
        plan,
        date_day,
        last_active_date,
        days_inactive,
        videos_to_date,
        avg_completion,
        engagement_tier
    from {{ ref('fct_user_engagement_daily') }}
    where date_day = {{ reporting_date() }}

)

select
    user_id,
    plan,
    date_day as as_of_date,
    last_active_date,
    days_inactive,
    videos_to_date,
    avg_completion,
    engagement_tier
from latest
