{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}]) }}

with

users as (

    select
        date_day,
        'user' as population,
        cast(null as {{ dbt.type_bigint() }}) as creator_id,
        engagement_tier,
        lag(engagement_tier) over (partition by user_id order by date_day) as previous_tier
    from {{ ref('fct_user_engagement_daily') }}

),

students as (

    select
        date_day,
        'student' as population,
        creator_id,
        engagement_tier,
        lag(engagement_tier) over (partition by student_id order by date_day) as previous_tier
    from {{ ref('fct_student_engagement_daily') }}

),

moves as (

    select
        date_day,
        population,
        creator_id,
        previous_tier,
        engagement_tier
    from users
    where previous_tier != engagement_tier

    union all

    select
        date_day,
        population,
        creator_id,
        previous_tier,
        engagement_tier
    from students
    where previous_tier != engagement_tier

)

select
    date_day,
    population,
    creator_id,
    previous_tier as from_tier,
    engagement_tier as to_tier,
    count(*) as transitions
from moves
group by date_day, population, creator_id, previous_tier, engagement_tier
