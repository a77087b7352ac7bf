{#- Tier moves per day from consecutive spells: a spell whose tier differs from the entity's spell before it is a
    move on its valid_from (the day before, the earlier spell held). Rebuilt in full on each run (a table): it reads
    only the spells, which grow with activity. -#}
{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}]) }}

with

bounds as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from {{ ref('dim_dates') }}

),

users as (

    select
        valid_from as date_day,
        'user' as population,
        cast(null as {{ dbt.type_bigint() }}) as creator_id,
        engagement_tier,
        lag(engagement_tier) over (partition by user_id order by valid_from) as previous_tier
    from {{ ref('fct_user_engagement_spells') }}

),

students as (

    select
        valid_from as date_day,
        'student' as population,
        creator_id,
        engagement_tier,
        lag(engagement_tier) over (partition by student_id order by valid_from) as previous_tier
    from {{ ref('fct_student_engagement_spells') }}

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

-- A move is counted on a calendar day whose day before is on the calendar too (the first day has nothing to
-- compare with), and not after the reporting date.
select
    moves.date_day,
    moves.population,
    moves.creator_id,
    moves.previous_tier as from_tier,
    moves.engagement_tier as to_tier,
    count(*) as transitions,
    {{ build_stamp() }} as built_at
from moves
cross join bounds
where moves.date_day > bounds.first_day and moves.date_day <= bounds.last_day
group by moves.date_day, moves.population, moves.creator_id, moves.previous_tier, moves.engagement_tier
