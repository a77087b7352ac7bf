{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}]) }}

with

users as (

    select
        date_day,
        'user' as population,
        cast(null as {{ dbt.type_bigint() }}) as creator_id,
        engagement_tier
    from {{ ref('fct_user_engagement_daily') }}

),

students as (

    select
        date_day,
        'student' as population,
        creator_id,
        engagement_tier
    from {{ ref('fct_student_engagement_daily') }}

),

entities as (

    select
        date_day,
        population,
        creator_id,
        engagement_tier
    from users

    union all

    select
        date_day,
        population,
        creator_id,
        engagement_tier
    from students

),

counted as (

    select
        date_day,
        population,
        creator_id,
        engagement_tier,
        count(*) as entities
    from entities
    group by date_day, population, creator_id, engagement_tier

)

select
    date_day,
    population,
    creator_id,
    engagement_tier,
    entities,
    entities * 1.0 / sum(entities) over (partition by date_day, population, creator_id) as share_of_population
from counted
