{{ config(indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['engagement_tier']}]) }}

with

clock as (

    select {{ reporting_date() }} as today

),

latest as (

    -- The spell covering the reporting date: its figures hold on that day.
    select
        spells.user_id,
        clock.today as as_of_date,
        spells.last_active_date,
        {{ dbt.datediff('spells.last_active_date', 'clock.today', 'day') }} as days_inactive,  -- noqa: LT05
        spells.videos_to_date,
        spells.avg_completion,
        spells.engagement_tier
    from {{ ref('fct_user_engagement_spells') }} as spells
    cross join clock
    where {{ spell_covering('spells', 'clock.today') }}

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
