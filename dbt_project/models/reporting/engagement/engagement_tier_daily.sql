{#- Incremental: a build recounts only the days whose users or students changed since its last one (macro
    engagement_tier_days_changed: fact rows rewritten since, or a count that no longer matches after a deletion). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}],
    pre_hook="{{ rebuild_days(engagement_tier_days_changed()) }}",
) }}

{%- set incremental = incremental_with_columns(['built_at']) %}

with

users as (

    select
        date_day,
        'user' as population,
        cast(null as {{ dbt.type_bigint() }}) as creator_id,
        engagement_tier
    from {{ ref('fct_user_engagement_daily') }}
    {% if incremental -%}
        where date_day in (select date_day from {{ days_to_rebuild() }})
    {%- endif %}

),

students as (

    select
        date_day,
        'student' as population,
        creator_id,
        engagement_tier
    from {{ ref('fct_student_engagement_daily') }}
    {% if incremental -%}
        where date_day in (select date_day from {{ days_to_rebuild() }})
    {%- endif %}

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
    entities * 1.0 / sum(entities) over (partition by date_day, population, creator_id) as share_of_population,
    {{ build_stamp() }} as built_at
from counted
