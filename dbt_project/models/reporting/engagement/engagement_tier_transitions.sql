{#- Incremental: a build recomputes only the days whose tier counts engagement_tier_daily recounted since its last
    one, and the day after each (macro engagement_transition_days_changed). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}],
    pre_hook="{{ rebuild_days(engagement_transition_days_changed()) }}",
) }}

-- depends_on: {{ ref('engagement_tier_daily') }}  (read by the pre-hook)
{%- set incremental = incremental_with_columns(['built_at']) %}

{#- A move on a day compares it with the day before, so the facts are read for the days to rebuild and the day
    before each. -#}
{%- set compared_days -%}
    (
        select date_day from {{ days_to_rebuild() }}
        union
        select cast({{ dbt.dateadd('day', -1, 'date_day') }} as date) from {{ days_to_rebuild() }}
    )
{%- endset %}

with

users as (

    select
        date_day,
        'user' as population,
        cast(null as {{ dbt.type_bigint() }}) as creator_id,
        engagement_tier,
        lag(engagement_tier) over (partition by user_id order by date_day) as previous_tier
    from {{ ref('fct_user_engagement_daily') }}
    {% if incremental -%}
        where date_day in {{ compared_days }}
    {%- endif %}

),

students as (

    select
        date_day,
        'student' as population,
        creator_id,
        engagement_tier,
        lag(engagement_tier) over (partition by student_id order by date_day) as previous_tier
    from {{ ref('fct_student_engagement_daily') }}
    {% if incremental -%}
        where date_day in {{ compared_days }}
    {%- endif %}

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
    count(*) as transitions,
    {{ build_stamp() }} as built_at
from moves
{% if incremental -%}
    where date_day in (select date_day from {{ days_to_rebuild() }})
{%- endif %}
group by date_day, population, creator_id, previous_tier, engagement_tier
