{#- The body of the two engagement facts (app users, enterprise students): one row per entity per day from sign-up,
    with its figures to date and the Creator Dashboard doc's tier, built incrementally. The model defines three CTEs
    first:
      days      (date_day)                                  the calendar, dim_dates
      entities  (<key>, signup_date, <attributes>...)       who exists now
      activity  (<key>, activity_date, is_active, videos, completion_points, completion_base, loaded_at)
                one row per entity and day with activity or figures; is_active = the entity did something that
                day (only those days set the last activity and count as active days; a row with figures only,
                such as a render completing, does not); average completion = sum(points) / sum(base)
    and calls this after them, e.g. `with days as (...), entities as (...), activity as (...), {{ engagement_history
    ('user_id') }}`.

    A run rebuilds only the entities whose history may have changed: new ones and those whose attributes or totals
    to date no longer match the activity (a deletion) from sign-up, those with activity landed since the last build
    (less the lookback) from the earliest day it touches; every other entity is carried forward to the days added
    since. A full rebuild writes entities x days rows, which grows with history; this writes what changed. Pair it
    with the pre-hook delete_vanished_entities(<key>, <entities model>, day_column='date_day'). -#}

{% macro engagement_history(key, attributes=[]) -%}

{#- The figures each entity-day holds, read back from the table and carried forward as they are. -#}
{%- set figures = ['last_active_date', 'videos_to_date', 'avg_completion', 'active_days_to_date',
                   'activity_loaded_at'] -%}
{%- set incremental = incremental_with_columns([key, 'date_day'] + attributes + figures) -%}

{% if incremental %}

    built as (

        -- Every entity's figures on the newest day the last build reached: the carried-forward days start here.
        select
            {{ key }},
            {% for attribute in attributes %}{{ attribute }},{% endfor %}
            date_day,
            {% for figure in figures %}{{ figure }}{{ ',' if not loop.last }}{% endfor %}
        from {{ this }}
        where date_day = (select max(newest.date_day) from {{ this }} as newest)

    ),

    activity_totals as (

        -- The same totals from the activity the warehouse holds now: a deleted video or view makes them differ.
        select
            activity.{{ key }},
            cast(sum(activity.videos) as bigint) as videos_to_date,
            sum(activity.completion_points) / nullif(sum(activity.completion_base), 0) as avg_completion,
            count(case when activity.is_active then 1 end) as active_days_to_date,
            max(case when activity.is_active then activity.activity_date end) as last_active_date
        from activity
        inner join built
            on
                activity.{{ key }} = built.{{ key }}
                and activity.activity_date <= built.date_day
        group by activity.{{ key }}

    ),

    changed_activity as (

        -- Activity that landed since the last build (less the lookback): its day is the first one it can change.
        select
            activity.{{ key }},
            min(activity.activity_date) as rebuild_from
        from activity
        where activity.loaded_at >= {{ incremental_lower_bound('activity_loaded_at', 'built') }}
        group by activity.{{ key }}

    ),

    entity_changes as (

        select
            entities.{{ key }},
            entities.signup_date,
            {{ dbt.dateadd('day', 1, 'built.date_day') }} as first_new_day,
            changed_activity.rebuild_from as changed_from,
            (
                built.{{ key }} is null
                {% for attribute in attributes -%}
                    or built.{{ attribute }} is distinct from entities.{{ attribute }}
                {% endfor -%}
                or built.videos_to_date is distinct from coalesce(activity_totals.videos_to_date, 0)
                or built.avg_completion is distinct from activity_totals.avg_completion
                or built.active_days_to_date is distinct from coalesce(activity_totals.active_days_to_date, 0)
                or built.last_active_date is distinct from activity_totals.last_active_date
            ) as is_rebuilt_from_signup
        from entities
        left join built on entities.{{ key }} = built.{{ key }}
        left join activity_totals on entities.{{ key }} = activity_totals.{{ key }}
        left join changed_activity on entities.{{ key }} = changed_activity.{{ key }}

    ),

    rebuilt_entities as (

        -- New entities and those whose totals moved (a deletion) from sign-up; those with new activity from its day.
        select
            entity_changes.{{ key }},
            case
                when entity_changes.is_rebuilt_from_signup then entity_changes.signup_date
                else least(entity_changes.changed_from, entity_changes.first_new_day)
            end as rebuild_from
        from entity_changes
        where entity_changes.is_rebuilt_from_signup or entity_changes.changed_from is not null

    ),

    new_days as (

        select days.date_day
        from days
        where days.date_day > (select max(built.date_day) from built)

    ),

    carried_forward as (

        -- Entities with nothing new: the newest built day's figures hold on every day added since.
        select
            built.{{ key }},
            {% for attribute in attributes %}built.{{ attribute }},{% endfor %}
            new_days.date_day,
            entities.signup_date,
            {% for figure in figures %}built.{{ figure }}{{ ',' if not loop.last }}{% endfor %}
        from built
        inner join entities on built.{{ key }} = entities.{{ key }}
        cross join new_days
        where not exists (
            select 1 from rebuilt_entities
            where rebuilt_entities.{{ key }} = built.{{ key }}
        )

    ),

{% endif %}

entities_to_build as (

    select
        entities.{{ key }},
        {% for attribute in attributes %}entities.{{ attribute }},{% endfor %}
        entities.signup_date,
        {% if incremental %}
            rebuilt_entities.rebuild_from
        {% else %}
            entities.signup_date as rebuild_from
        {% endif %}
    from entities
    {% if incremental %}
        inner join rebuilt_entities on entities.{{ key }} = rebuilt_entities.{{ key }}
    {% endif %}

),

timeline as (

    -- Each entity's days and activity in one stream, activity first within a day: running totals over it give
    -- every day's figures to date in one pass (a range join of days to all earlier activity grew with days
    -- squared).
    select
        entities_to_build.{{ key }},
        entities_to_build.signup_date,
        days.date_day,
        true as is_day,
        null as activity_date,
        null as videos,
        null as completion_points,
        null as completion_base,
        null as loaded_at
    from entities_to_build
    inner join days on entities_to_build.signup_date <= days.date_day

    union all

    select
        activity.{{ key }},
        entities_to_build.signup_date,
        activity.activity_date as date_day,
        false as is_day,
        case when activity.is_active then activity.activity_date end as activity_date,
        activity.videos,
        activity.completion_points,
        activity.completion_base,
        activity.loaded_at
    from activity
    inner join entities_to_build on activity.{{ key }} = entities_to_build.{{ key }}

),

to_date as (

    select
        {{ key }},
        signup_date,
        date_day,
        is_day,
        max(activity_date) over running as last_active_date,
        cast(coalesce(sum(videos) over running, 0) as bigint) as videos_to_date,
        sum(completion_points) over running / nullif(sum(completion_base) over running, 0) as avg_completion,
        count(activity_date) over running as active_days_to_date,
        max(loaded_at) over running as activity_loaded_at
    from timeline
    window running as (partition by {{ key }} order by date_day, is_day rows unbounded preceding)

),

rebuilt as (

    select
        to_date.{{ key }},
        {% for attribute in attributes %}entities_to_build.{{ attribute }},{% endfor %}
        to_date.date_day,
        to_date.signup_date,
        {% for figure in figures %}to_date.{{ figure }}{{ ',' if not loop.last }}{% endfor %}
    from to_date
    inner join entities_to_build on to_date.{{ key }} = entities_to_build.{{ key }}
    where
        to_date.is_day
        and to_date.date_day >= entities_to_build.rebuild_from

),

all_days as (

    select
        {{ key }},
        {% for attribute in attributes %}{{ attribute }},{% endfor %}
        date_day,
        signup_date,
        {% for figure in figures %}{{ figure }}{{ ',' if not loop.last }}{% endfor %}
    from rebuilt
    {% if incremental %}
        union all
        select
            {{ key }},
            {% for attribute in attributes %}{{ attribute }},{% endfor %}
            date_day,
            signup_date,
            {% for figure in figures %}{{ figure }}{{ ',' if not loop.last }}{% endfor %}
        from carried_forward
    {% endif %}

),

days_to_date as (

    select
        {{ key }},
        {% for attribute in attributes %}{{ attribute }},{% endfor %}
        date_day,
        last_active_date,
        {{ dbt.datediff('last_active_date', 'date_day', 'day') }} as days_inactive,
        {{ dbt.datediff('signup_date', 'date_day', 'day') }} as account_age_days,
        videos_to_date,
        avg_completion,
        active_days_to_date,
        activity_loaded_at
    from all_days

)

select
    {{ key }},
    {% for attribute in attributes %}{{ attribute }},{% endfor %}
    date_day,
    last_active_date,
    days_inactive,
    account_age_days,
    videos_to_date,
    avg_completion,
    {{ engagement_tier('days_inactive', 'videos_to_date', 'account_age_days', 'avg_completion') }} as engagement_tier,
    active_days_to_date,
    activity_loaded_at,
    {{ build_stamp() }} as built_at
from days_to_date

{%- endmacro %}
