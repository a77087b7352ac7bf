{#- The lower bound an incremental model re-processes from: its newest `column` minus the lookback
    (var incremental_lookback_hours). The facts pass `loaded_at` (when the row last landed in the warehouse), not
    the app's `updated_at`, so a row committed late with an old `updated_at` is still picked up and merged.
    Landing times only move forward between two builds of a table (pipeline runs take turns, and each load batch
    commits in seconds), so the lookback is a margin for a load that overlapped a build or a server clock stepped
    back, not a window of history: a run merges about an hour of rows, not days (BENCHMARKS.md).
    A column just added to an existing table (on_schema_change) is empty: then everything is re-processed once.
    `relation` defaults to the model's own table; a model that already holds its newest rows in a CTE passes its
    name (a string).

    On a table (`relation` a relation, at run time) the bound is read once, when the model compiles, and written
    into the SQL as a literal timestamp. A subquery bound is a parameter the planner knows nothing of: it guesses a
    third of the rows pass (PostgreSQL's default for an inequality), and plans the merge as if a third of history
    had landed (a sequential scan of raw, a hash join over the whole fact). Against a literal it reads the
    `_loaded_at` index's statistics and sees an hour of rows (BENCHMARKS.md, "Incremental plans"). The landing
    columns are `timestamp with time zone`, and the literal keeps its offset. The read is a
    backward scan of an index on `column` where the table has one (macro landed_index), in a versioned model's
    store table, whose current versions are what its view in the build schema shows: that view may not be there
    yet when the model compiles (after the first publication the build schema is the one readers had, and the
    build makes the view when it starts), and the bound would fall back to the subquery, which the planner cannot
    see into, reading back the whole first load as if it had just landed. A CTE name, a unit test
    (whose `this` is a fixture) and a table without `column` (sqlfluff lints against empty placeholder tables) keep
    the subquery.

    `since_last_build`: also no earlier than the start of the model's last build less the lookback (its entry in
    marts_store._builds, macro versioned_build_log). Without it a table where nothing new landed re-reads its last
    batch every hour (after a full rebuild: the whole bulk load) until a row lands, since its newest `column` does
    not move. Only for a model that reads `column` from staging views, which show raw as it is: every row landed
    before that build started (less the margin) was there for it. A model reading an upstream table (a fact, an
    int_ table) keeps the bound on its own rows alone, as that table may have been stale when it last built (dbt
    run by hand with a selection). -#}

{% macro incremental_lower_bound(column, relation=this, since_last_build=false) -%}
    {%- set bound -%}
        coalesce(
            {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(' ~ column ~ ')') }},
            cast('1900-01-01' as {{ dbt.type_timestamp() }})
        )
    {%- endset -%}
    {%- set read_from = relation -%}
    {%- set columns_of = relation -%}
    {%- set on_table = execute and relation is not string and model.resource_type == 'model' -%}
    {%- if on_table and model.config.materialized == 'incremental' -%}
        {%- set store = versioned_store(relation) -%}
        {%- if adapter.get_relation(store.database, store.schema, store.identifier) is not none -%}
            {%- set read_from = '(select ' ~ column ~ ' from ' ~ store
                ~ ' where retired_at is null) as current_versions' -%}
            {%- set columns_of = store -%}
        {%- endif -%}
    {%- endif -%}
    {%- set literal = on_table
        and column in adapter.get_columns_in_relation(columns_of) | map(attribute='name') | list -%}
    {%- if literal and since_last_build -%}
        {%- set log = versioned_build_log() -%}
        {%- if adapter.get_relation(log.database, log.schema, log.identifier) is not none -%}
            {%- set bound -%}
                greatest(
                    {{ bound }},
                    (
                        select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'log.started_at') }}
                        from {{ log }} as log
                        where log.model = '{{ versioned_store(relation).identifier }}'
                    )
                )
            {%- endset -%}
        {%- endif -%}
    {%- endif -%}
    {%- if literal -%}
        {%- set found = run_query('select cast(' ~ bound ~ ' as text) from ' ~ read_from) -%}
        cast('{{ found.columns[0].values()[0] }}' as timestamp with time zone)
    {%- else -%}
        (
            select {{ bound }}
            from {{ relation }}
        )
    {%- endif -%}
{%- endmacro %}

{#- A post-hook of the incremental models whose lower bound reads their own `column`: an index on it, in the model's
    store table (macro versioned_store; `this` is a view over it), so the bound's max() is a backward index read,
    not a scan of the table. A post-hook and not the `indexes` config,
    which dbt applies only when it creates the table: a table an older release built gets it on its next run.
    Created when the table has no index starting with `column` (PostgreSQL's catalog, read when the hook runs, after
    the build), and unnamed: a full refresh renames the old table to a backup that keeps its indexes' names until
    dbt drops it after the hooks, so a fixed name would already be taken then. -#}

{% macro landed_index(column) -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select count(*) from pg_index as x inner join pg_attribute as a"
            ~ " on a.attrelid = x.indrelid and a.attnum = x.indkey[0]"
            ~ " where x.indrelid = '" ~ versioned_store(this) ~ "'::regclass and a.attname = '" ~ column ~ "'"
        ) -%}
        {%- if found.columns[0].values()[0] == 0 -%}
            create index on {{ versioned_store(this) }} ({{ column }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- For a versioned incremental model that counts what its inputs' builds changed (engagement_tier_daily): the
    stamp of its own last build (marts_store._builds), after which it reads its inputs' store tables for the
    versions written (`built_at >` it) and retired (`retired_at >` it), or none: build in full. None on a first
    build or a full refresh, and when publishing has deleted retired versions stamped after that build (the live
    schema's watermark is later: an input was built and published without this model, e.g. dbt run by hand with a
    selection), because the versions this model counted and that were since replaced are then gone. A version
    written and retired since appears on both sides and cancels out. -#}

{% macro versions_since_last_build() -%}
    {#- A unit test's `this` is its fixture, not a relation: no store to read (the test gives its inputs). -#}
    {%- if not execute or not is_incremental() or model.resource_type != 'model' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set log = versioned_build_log() -%}
    {%- if adapter.get_relation(log.database, log.schema, log.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stamp = run_query("select cast(stamp as text) from " ~ log ~ " where model = '"
        ~ versioned_store(this).identifier ~ "'").columns[0].values() -%}
    {%- if not stamp -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set live = versioned_watermark(this.incorporate(path={'schema': generate_schema_name('marts', none)})) -%}
    {%- if adapter.get_relation(live.database, live.schema, live.identifier) is not none -%}
        {%- set purged = run_query("select count(*) from " ~ live ~ " where watermark > cast('" ~ stamp[0]
            ~ "' as timestamptz)").columns[0].values()[0] -%}
        {%- if purged > 0 -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(stamp[0]) }}
{%- endmacro %}

{#- The keys (`key`) of the versions of incremental model `model` written or retired after `since` (a stamp from
    versions_since_last_build): whom a model reading that one must rebuild (the engagement spell facts over their
    activity models). Read by the store's built_at and retired_at indexes. -#}

{% macro keys_of_versions_since(key, model, since) -%}
    select versions.{{ key }}
    from {{ versioned_store(model) }} as versions
    where
        versions.built_at > cast('{{ since }}' as timestamp with time zone)
        or versions.retired_at > cast('{{ since }}' as timestamp with time zone)
{%- endmacro %}

{#- The keys (`key`, a column or an expression of one) of the rows of `relations` (base_ or staging models with a `loaded_at`) landed since this
    model's last build, less the lookback (macro incremental_lower_bound, since_last_build, on the model's own
    `loaded_at`): the entities an incremental model keyed by one entity rebuilds. Reading base_ models, it sees
    deletions land too. Each read is raw's `_loaded_at` index through the views. -#}

{% macro keys_landed_since_last_build(key, relations) -%}
    {%- set bound = incremental_lower_bound('loaded_at', since_last_build=true) -%}
    {%- for relation in relations %}
        select {{ key }} from {{ relation }} where loaded_at >= {{ bound }}
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- For an incremental model keyed by day (a day's rows rebuilt together, a partition overwrite): the days
    (`at`, cast to a date) of the rows of `relations` (base_ models, deletions included) landed since this model's
    last build, less the lookback (incremental_lower_bound on the model's own `loaded_at`), as 'YYYY-MM-DD' strings,
    read when the model compiles. Empty on a full build. -#}

{% macro days_landed_since_last_build(relations, at='created_at') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query = keys_landed_since_last_build('cast(' ~ at ~ ' as date)', relations) ~ ' order by 1' -%}
    {{ return(run_query(query).columns[0].values() | map('string') | list) }}
{%- endmacro %}

{#- `column` (a timestamp) falls on one of `days` ('YYYY-MM-DD'): a range per day, literal bounds, so the planner
    reads each from an index on `column`; false for no day. -#}

{% macro on_days(column, days) -%}
    {%- if days -%}
        ({% for day in days -%}
            {%- set next_day = modules.datetime.date.fromisoformat(day) + modules.datetime.timedelta(days=1) -%}
            ({{ column }} >= cast('{{ day }}' as date) and {{ column }} < cast('{{ next_day.isoformat() }}' as date))
            {{- ' or ' if not loop.last }}
        {%- endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
