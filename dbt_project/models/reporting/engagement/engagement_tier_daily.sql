{#- Tier counts per day from the spells, without expanding them to days: a spell enters its tier on valid_from and
    leaves it on valid_to, and a day's count is the running sum of entries less exits up to that day. The work is
    the spells plus this table's own rows (days x populations x tiers), never entities x days.

    Incremental: a build rewrites the days from the first one whose counts changed, not the calendar. The changes
    are the spell versions written and retired since this model's last build (macro versions_since_last_build): an
    entity rebuilt with the same spells cancels out, so the first changed day is the first day a spell really moved
    (usually today; a late row's day; a deleted video's owner's sign-up). From that day on a day's count is the count
    this table held plus the changes up to it, and on calendar days added since (the reporting date moved) the
    previous last day's count plus the spells entering and leaving on them. A full build (first build, full
    refresh, a calendar starting earlier, a reporting date earlier than the last one built, or versions deleted by
    a publication this model missed) counts every spell from the calendar's first day. Days no longer in the
    calendar are retired (pre-hook retire_vanished_entities). -#}
{{ config(
    materialized='incremental',
    unique_key='date_day',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['date_day']}, {'columns': ['creator_id']}],
    pre_hook="{{ retire_vanished_entities('date_day', ref('dim_dates')) }}",
) }}

{%- set since = versions_since_last_build() -%}
{%- set built_through = 'cast(null as date)' -%}
{%- if since -%}
    {#- The last day the counts held cover, written into the SQL as a literal (the planner reads the spells' indexes
        for the days after it; see macro incremental_lower_bound): read from the store's current versions, as this
        model's view may not be in this schema yet (it is made when the build starts, after this is compiled). -#}
    {%- set store = versioned_store(this) -%}
    {%- if 'date_day' in adapter.get_columns_in_relation(store) | map(attribute='name') | list -%}
        {%- set last = run_query('select cast(max(date_day) as text) from ' ~ store ~ ' where retired_at is null')
            .columns[0].values()[0] -%}
        {%- if last -%}
            {%- set built_through = "cast('" ~ last ~ "' as date)" -%}
        {%- endif -%}
    {%- endif -%}
{%- endif %}

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

all_moves as (

    -- Every spell's moves; one after the reporting date does not count.
    {{ spell_moves('spells', through='bounds.last_day') }}

),

{% if since %}

    built as (

        select
            min(date_day) as first_day,
            max(date_day) as last_day
        from {{ this }}

    ),

    continuing as (

        -- Whether the counts held can be continued: the calendar starts on the same day, and the reporting date
        -- has not gone back before the last day built (the pre-hook retired the days after it). Else every spell
        -- is counted (all_moves). A first day moved later (its users gone) continues: the days held from it on
        -- are right, and the pre-hook retired the ones before it.
        select
            coalesce(
                built.first_day = bounds.first_day
                and built.last_day = {{ built_through }}
                and built.last_day <= bounds.last_day,
                false
            ) as is_continued
        from built
        cross join bounds

    ),

    spell_versions as (

        -- The spell versions written or retired since the last build, of both populations.
        select
            'user' as population,
            cast(null as {{ dbt.type_bigint() }}) as creator_id,
            engagement_tier,
            valid_from,
            valid_to,
            built_at,
            retired_at
        from {{ versioned_store(ref('fct_user_engagement_spells')) }}
        where
            built_at > cast('{{ since }}' as timestamp with time zone)
            or retired_at > cast('{{ since }}' as timestamp with time zone)

        union all

        select
            'student' as population,
            creator_id,
            engagement_tier,
            valid_from,
            valid_to,
            built_at,
            retired_at
        from {{ versioned_store(ref('fct_student_engagement_spells')) }}
        where
            built_at > cast('{{ since }}' as timestamp with time zone)
            or retired_at > cast('{{ since }}' as timestamp with time zone)

    ),

    changed_versions as (

        -- +1 for each version written since, -1 for each retired since (one written and retired since cancels out).
        select
            population,
            creator_id,
            engagement_tier,
            valid_from,
            valid_to,
            1 as sign
        from spell_versions
        where built_at > cast('{{ since }}' as timestamp with time zone)

        union all

        select
            population,
            creator_id,
            engagement_tier,
            valid_from,
            valid_to,
            -1 as sign
        from spell_versions
        where retired_at > cast('{{ since }}' as timestamp with time zone)

    ),

    changed_moves as (

        -- The moves those versions make on the days already built; later days are counted afresh below.
        {{ spell_moves('changed_versions', through=built_through, sign_column='sign') }}

    ),

    net_changes as (

        select
            population,
            creator_id,
            engagement_tier,
            date_day,
            sum(entered) as entered
        from changed_moves
        group by population, creator_id, engagement_tier, date_day
        having sum(entered) != 0

    ),

    rewrite_from as (

        -- The first day whose counts changed, and at least the last day built (the base of the days added since).
        select
            case
                when (select continuing.is_continued from continuing)
                    then least(min(net_changes.date_day), {{ built_through }})
                else (select bounds.first_day from bounds)
            end as first_day
        from net_changes

    ),

    kept_counts as (

        -- The counts this table holds from that day on, as differences: the day's count in, the next day's out.
        select
            built_counts.population,
            built_counts.creator_id,
            built_counts.engagement_tier,
            built_counts.date_day,
            built_counts.entities as entered
        from {{ this }} as built_counts
        cross join rewrite_from
        where built_counts.date_day >= rewrite_from.first_day

        union all

        select
            built_counts.population,
            built_counts.creator_id,
            built_counts.engagement_tier,
            cast({{ dbt.dateadd('day', 1, 'built_counts.date_day') }} as date) as date_day,
            -1 * built_counts.entities as entered
        from {{ this }} as built_counts
        cross join rewrite_from
        where
            built_counts.date_day >= rewrite_from.first_day
            and built_counts.date_day < {{ built_through }}

    ),

    new_day_moves as (

        -- Spells entering and leaving on the calendar days added since the last build.
        {{ spell_moves('spells', through='bounds.last_day', after=built_through) }}

    ),

    moves as (

        -- One-time filters: PostgreSQL runs the branch the check picks, not both.
        select
            population,
            creator_id,
            engagement_tier,
            date_day,
            entered
        from kept_counts
        where (select continuing.is_continued from continuing)

        union all

        select
            population,
            creator_id,
            engagement_tier,
            date_day,
            entered
        from net_changes
        where (select continuing.is_continued from continuing)

        union all

        select
            population,
            creator_id,
            engagement_tier,
            date_day,
            entered
        from new_day_moves
        where (select continuing.is_continued from continuing)

        union all

        select
            population,
            creator_id,
            engagement_tier,
            date_day,
            entered
        from all_moves
        where not (select continuing.is_continued from continuing)

    ),

{% else %}

    rewrite_from as (

        select first_day
        from bounds

    ),

    moves as (

        select
            population,
            creator_id,
            engagement_tier,
            date_day,
            entered
        from all_moves

    ),

{% endif %}

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

    -- Every day rewritten for every tier seen, so the running sum has a row to land on.
    select
        tiers.population,
        tiers.creator_id,
        tiers.engagement_tier,
        days.date_day,
        0 as entered
    from tiers
    cross join days
    cross join rewrite_from
    where days.date_day >= rewrite_from.first_day

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
