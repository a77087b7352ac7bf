{#- The body of the two engagement spell facts (app users, enterprise students): one row per entity per period over
    which its tier and its figures to date (last activity, videos, average completion, active days) stay the same,
    valid_from .. valid_to (exclusive; null = open), built incrementally. The model defines two CTEs first:
      entities  (<key>, signup_date, <attributes>...)       who exists now
      activity  (<key>, activity_date, is_active, videos, completion_points, completion_base, loaded_at)
                one row per entity and day with activity or figures; is_active = the entity did something that
                day (only those days set the last activity and count as active days; a row with figures only,
                such as a render completing, does not); average completion = sum(points) / sum(base)
    and calls this after them, e.g. `with entities as (...), activity as (...), {{ engagement_spells('user_id') }}`.

    The tier on day D is a function of the figures as of D (engagement_tier), and they change only at change points:
    sign-up, sign-up + 7 (the account-age rule), every activity day A, and A + 7 and A + 14 (the at_risk and
    inactive exits an activity day schedules, in the future too: with no new activity they are certain). So figures
    and tier are computed at those points only, and consecutive equal rows are merged. Rows grow with activity, not
    with calendar days, and the table does not read the calendar: an hour without activity for an entity does no
    work for it. Activity dated before sign-up counts from sign-up.

    A run rebuilds whole entities (delete+insert on the key; partition-overwrite friendly for a later engine: an
    entity's rows are one unit): new ones, those whose attributes or sign-up changed, those whose totals (the open
    spell's figures) no longer match the activity (a deletion), those with activity landed since the last build
    (less the lookback). A model that knows which entities changed passes `rebuild`, the name of a CTE of their keys
    (it must hold the new entities and those whose attributes changed too), and defines `activity` for those alone:
    then no totals are compared and the activity is read once, for them. Pair it with the pre-hook
    retire_vanished_entities(<key>, <entities model>). -#}

{% macro engagement_spells(key, attributes=[], rebuild=none) -%}

{%- set figures = engagement_spell_figures() -%}
{%- set incremental = engagement_spells_are_incremental(key, attributes) -%}

{% if incremental and rebuild %}

    entities_to_build as (

        select
            entities.{{ key }},
            {% for attribute in attributes %}entities.{{ attribute }},{% endfor %}
            entities.signup_date
        from entities
        where entities.{{ key }} in (select {{ rebuild }}.{{ key }} from {{ rebuild }})

    ),

{% elif incremental %}

    built as (

        -- Every entity's open spell: its attributes and its figures over all its activity.
        select
            {{ key }},
            {% for attribute in attributes %}{{ attribute }},{% endfor %}
            signup_date,
            {% for figure in figures %}{{ figure }}{{ ',' if not loop.last }}{% endfor %}
        from {{ this }}
        where valid_to is null

    ),

    activity_totals as (

        -- The same totals from the activity the warehouse holds now: a deleted video or view makes them differ.
        select
            {{ key }},
            cast(sum(videos) as bigint) as videos_to_date,
            sum(completion_points) / nullif(sum(completion_base), 0) as avg_completion,
            count(case when is_active then 1 end) as active_days_to_date,
            max(case when is_active then activity_date end) as last_active_date
        from activity
        group by {{ key }}

    ),

    landed as (

        -- Entities with activity that landed since the last build (less the lookback).
        select distinct {{ key }}
        from activity
        where loaded_at >= {{ incremental_lower_bound('activity_loaded_at') }}

    ),

    entities_to_build as (

        select
            entities.{{ key }},
            {% for attribute in attributes %}entities.{{ attribute }},{% endfor %}
            entities.signup_date
        from entities
        left join built on entities.{{ key }} = built.{{ key }}
        left join activity_totals on entities.{{ key }} = activity_totals.{{ key }}
        where
            built.{{ key }} is null
            {% for attribute in attributes -%}
                or built.{{ attribute }} is distinct from entities.{{ attribute }}
            {% endfor -%}
            or built.signup_date is distinct from entities.signup_date
            or built.videos_to_date is distinct from coalesce(activity_totals.videos_to_date, 0)
            or built.avg_completion is distinct from activity_totals.avg_completion
            or built.active_days_to_date is distinct from coalesce(activity_totals.active_days_to_date, 0)
            or built.last_active_date is distinct from activity_totals.last_active_date
            or exists (select 1 from landed where landed.{{ key }} = entities.{{ key }})

    ),

{% else %}

    entities_to_build as (

        select
            {{ key }},
            {% for attribute in attributes %}{{ attribute }},{% endfor %}
            signup_date
        from entities

    ),

{% endif %}

activity_to_build as (

    select
        activity.{{ key }},
        activity.activity_date,
        activity.is_active,
        activity.videos,
        activity.completion_points,
        activity.completion_base,
        activity.loaded_at
    from activity
    inner join entities_to_build on activity.{{ key }} = entities_to_build.{{ key }}

),

scheduled as (

    -- Where the figures or the tier can change: sign-up, sign-up + 7, each activity day, and the exits to at_risk
    -- and inactive that an activity day schedules 7 and 14 days later.
    select
        {{ key }},
        signup_date as point_date
    from entities_to_build
    union all
    select
        {{ key }},
        cast({{ dbt.dateadd('day', 7, 'signup_date') }} as date) as point_date
    from entities_to_build
    union all
    select
        {{ key }},
        activity_date as point_date
    from activity_to_build
    union all
    select
        {{ key }},
        cast({{ dbt.dateadd('day', 7, 'activity_date') }} as date) as point_date
    from activity_to_build
    where is_active
    union all
    select
        {{ key }},
        cast({{ dbt.dateadd('day', 14, 'activity_date') }} as date) as point_date
    from activity_to_build
    where is_active

),

change_points as (

    -- Activity before sign-up counts from sign-up.
    select distinct
        scheduled.{{ key }},
        greatest(scheduled.point_date, entities_to_build.signup_date) as point_date
    from scheduled
    inner join entities_to_build on scheduled.{{ key }} = entities_to_build.{{ key }}

),

timeline as (

    -- Each entity's change points and activity in one stream, activity first within a day: running totals over it
    -- give every change point's figures to date in one pass.
    select
        {{ key }},
        point_date,
        true as is_point,
        null as activity_date,
        null as videos,
        null as completion_points,
        null as completion_base
    from change_points

    union all

    select
        {{ key }},
        activity_date as point_date,
        false as is_point,
        case when is_active then activity_date end as activity_date,
        videos,
        completion_points,
        completion_base
    from activity_to_build

),

to_date as (

    select
        {{ key }},
        point_date,
        is_point,
        max(activity_date) over running as last_active_date,
        cast(coalesce(sum(videos) over running, 0) as bigint) as videos_to_date,
        sum(completion_points) over running / nullif(sum(completion_base) over running, 0) as avg_completion,
        count(activity_date) over running as active_days_to_date
    from timeline
    window running as (partition by {{ key }} order by point_date, is_point rows unbounded preceding)

),

tiered as (

    select
        to_date.{{ key }},
        to_date.point_date,
        {% for figure in figures %}to_date.{{ figure }},{% endfor %}
        {{ engagement_tier(
            dbt.datediff('to_date.last_active_date', 'to_date.point_date', 'day'),
            'to_date.videos_to_date',
            dbt.datediff('entities_to_build.signup_date', 'to_date.point_date', 'day'),
            'to_date.avg_completion') }} as engagement_tier
    from to_date
    inner join entities_to_build on to_date.{{ key }} = entities_to_build.{{ key }}
    where to_date.is_point

),

compared as (

    select
        {{ key }},
        point_date,
        engagement_tier,
        {% for figure in figures %}{{ figure }},{% endfor %}
        row_number() over by_point = 1 as is_first,
        (
            engagement_tier is distinct from lag(engagement_tier) over by_point
            {% for figure in figures -%}
                or {{ figure }} is distinct from lag({{ figure }}) over by_point
            {% endfor -%}
        ) as is_changed
    from tiered
    window by_point as (partition by {{ key }} order by point_date)

),

spells as (

    -- A change point where nothing changed continues the spell before it.
    select
        {{ key }},
        point_date as valid_from,
        lead(point_date) over (partition by {{ key }} order by point_date) as valid_to,
        engagement_tier,
        {% for figure in figures %}{{ figure }}{{ ',' if not loop.last }}{% endfor %}
    from compared
    where is_first or is_changed

),

landings as (

    select
        {{ key }},
        max(loaded_at) as activity_loaded_at
    from activity_to_build
    group by {{ key }}

)

select
    spells.{{ key }},
    {% for attribute in attributes %}entities_to_build.{{ attribute }},{% endfor %}
    spells.valid_from,
    spells.valid_to,
    spells.engagement_tier,
    entities_to_build.signup_date,
    spells.last_active_date,
    spells.videos_to_date,
    spells.avg_completion,
    spells.active_days_to_date,
    landings.activity_loaded_at,
    {{ build_stamp() }} as built_at
from spells
inner join entities_to_build on spells.{{ key }} = entities_to_build.{{ key }}
left join landings on spells.{{ key }} = landings.{{ key }}

{%- endmacro %}

{#- The one definition of "the spell covering day `day`" for the readers of the spell facts (valid_to exclusive,
    null = open): `where {{ spell_covering('spells', 'clock.today') }}`. README shows analysts the same predicate. -#}

{% macro spell_covering(alias, day) -%}
    {{ alias }}.valid_from <= {{ day }}
    and ({{ alias }}.valid_to > {{ day }} or {{ alias }}.valid_to is null)
{%- endmacro %}

{% macro engagement_spell_figures() -%}
    {{ return(['last_active_date', 'videos_to_date', 'avg_completion', 'active_days_to_date']) }}
{%- endmacro %}

{#- Whether engagement_spells takes its incremental branch: the model's table exists with every column it reads back
    (a model passing `rebuild` filters its activity to those keys only then). -#}

{% macro engagement_spells_are_incremental(key, attributes=[]) -%}
    {{ return(incremental_with_columns(
        [key, 'valid_from', 'valid_to', 'signup_date', 'activity_loaded_at'] + attributes + engagement_spell_figures())) }}
{%- endmacro %}
