{#- Per-day marts built incrementally from per-day facts: a build recomputes only the days whose inputs changed
    since its last one. The model's pre-hook, rebuild_days(<changed days query>), lists those days (a query
    returning `date_day`, run once) in a temporary table named by days_to_rebuild() and deletes them from the mart;
    the model then selects `where date_day in (select date_day from {{ days_to_rebuild() }})` and is appended
    (incremental_strategy='append'). Deleting first, rather than delete+insert on the new rows' keys, also clears a
    day that now has no rows at all. A mart built before it kept `built_at` is emptied and built in full once
    (incremental_with_columns), as is every full refresh. -#}

{% macro days_to_rebuild() -%}
    {{ this.identifier }}__days_to_rebuild
{%- endmacro %}

{% macro rebuild_days(changed_days) -%}
    {%- if incremental_with_columns(['built_at']) -%}
        create temporary table {{ days_to_rebuild() }} on commit drop as (
            {{ changed_days }}
        );
        analyze {{ days_to_rebuild() }};
        delete from {{ this }}
        where date_day in (select date_day from {{ days_to_rebuild() }})
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- engagement_tier_daily's changed days: a day with engagement-fact rows rewritten since the mart's newest
    `built_at`, or whose count of users or students differs from the mart's (an entity deleted from the app leaves
    no rewritten row, only one fewer on each of its days). Counting reads the facts' (date_day, built_at) index. -#}
{% macro engagement_tier_days_changed() -%}
    with

    counted as (

        select
            date_day,
            population,
            sum(entities) as entities
        from {{ this }}
        group by date_day, population

    ),

    facts as (

        select
            date_day,
            'user' as population,
            count(*) as entities,
            max(built_at) as built_at
        from {{ ref('fct_user_engagement_daily') }}
        group by date_day

        union all

        select
            date_day,
            'student' as population,
            count(*) as entities,
            max(built_at) as built_at
        from {{ ref('fct_student_engagement_daily') }}
        group by date_day

    )

    select distinct coalesce(facts.date_day, counted.date_day) as date_day
    from facts
    full outer join counted
        on
            facts.date_day = counted.date_day
            and facts.population = counted.population
    where
        facts.entities is distinct from counted.entities
        or facts.built_at > (select max(built.built_at) from {{ this }} as built)
{%- endmacro %}

{#- engagement_tier_transitions' changed days: a move on day D compares D with D - 1, so each day whose tier
    counts engagement_tier_daily recounted since this mart's newest `built_at`, and the day after it; and a day this
    mart holds that has no tier counts any more. -#}
{% macro engagement_transition_days_changed() -%}
    with

    recounted as (

        select distinct date_day
        from {{ ref('engagement_tier_daily') }}
        where built_at > (
            select coalesce(max(built.built_at), cast('-infinity' as timestamptz)) from {{ this }} as built
        )

    )

    select date_day from recounted
    union
    select cast({{ dbt.dateadd('day', 1, 'date_day') }} as date) as date_day from recounted
    union
    (
        select date_day from {{ this }}
        except
        select date_day from {{ ref('engagement_tier_daily') }}
    )
{%- endmacro %}
