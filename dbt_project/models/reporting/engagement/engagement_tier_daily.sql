{#- Tier counts per day from the spells, without expanding them to days: a spell enters its tier on valid_from and
    leaves it on valid_to, and a day's count is the running sum of entries less exits up to that day. The work is
    the spells plus this table's own rows (days x populations x tiers), never entities x days. Rebuilt in full on
    each run (a table): it reads only the spells, which grow with activity. -#}
{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

bounds as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from days

),

spells as (

    select
        'user' as population,
        cast(null as {{ dbt.type_bigint() }}) as creator_id,
        engagement_tier,
        valid_from,
        valid_to
    from {{ ref('fct_user_engagement_spells') }}

    union all

    select
        'student' as population,
        creator_id,
        engagement_tier,
        valid_from,
        valid_to
    from {{ ref('fct_student_engagement_spells') }}

),

moves as (

    -- +1 on the day a spell starts, -1 on the day it ends; a move before the calendar counts on its first day, one
    -- after the reporting date not at all.
    select
        spells.population,
        spells.creator_id,
        spells.engagement_tier,
        greatest(spells.valid_from, bounds.first_day) as date_day,
        1 as entered
    from spells
    cross join bounds
    where spells.valid_from <= bounds.last_day

    union all

    select
        spells.population,
        spells.creator_id,
        spells.engagement_tier,
        greatest(spells.valid_to, bounds.first_day) as date_day,
        -1 as entered
    from spells
    cross join bounds
    where spells.valid_to <= bounds.last_day

),

tiers as (

    select distinct
        population,
        creator_id,
        engagement_tier
    from moves

),

moves_and_days as (

    select
        population,
        creator_id,
        engagement_tier,
        date_day,
        entered
    from moves

    union all

    -- Every day of the calendar for every tier seen, so the running sum has a row to land on.
    select
        tiers.population,
        tiers.creator_id,
        tiers.engagement_tier,
        days.date_day,
        0 as entered
    from tiers
    cross join days

),

net_per_day as (

    select
        population,
        creator_id,
        engagement_tier,
        date_day,
        sum(entered) as net_entered
    from moves_and_days
    group by population, creator_id, engagement_tier, date_day

),

counted as (

    select
        date_day,
        population,
        creator_id,
        engagement_tier,
        cast(
            sum(net_entered) over (
                partition by population, creator_id, engagement_tier order by date_day rows unbounded preceding
            ) as {{ dbt.type_bigint() }}
        ) as entities
    from net_per_day

)

select
    date_day,
    population,
    creator_id,
    engagement_tier,
    entities,
    entities * 1.0 / sum(entities) over (partition by date_day, population, creator_id) as share_of_population,
    {{ build_stamp() }} as built_at
from counted
where entities > 0
