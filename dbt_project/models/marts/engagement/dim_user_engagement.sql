{{ config(indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['engagement_tier']}]) }}

with

latest as (

    -- The spell covering the reporting date: its figures hold on that day.
    select
        user_id,
        {{ reporting_date() }} as as_of_date,
        last_active_date,
        {{ dbt.datediff('last_active_date', reporting_date(), 'day') }} as days_inactive,
        videos_to_date,
        avg_completion,
        engagement_tier
    from {{ ref('fct_user_engagement_spells') }}
    where
        valid_from <= {{ reporting_date() }}
        and (valid_to > {{ reporting_date() }} or valid_to is null)

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
    latest.as_of_date,
    latest.last_active_date,
    latest.days_inactive,
    latest.videos_to_date,
    latest.avg_completion,
    latest.engagement_tier
from latest
inner join users on latest.user_id = users.user_id
