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
    backward scan of an index on `column` where the table has one (macro landed_index). A CTE name, a unit test
    (whose `this` is a fixture) and a table without `column` (sqlfluff lints against empty placeholder tables) keep
    the subquery. -#}

{% macro incremental_lower_bound(column, relation=this) -%}
    {%- set bound -%}
        coalesce(
            {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(' ~ column ~ ')') }},
            cast('1900-01-01' as {{ dbt.type_timestamp() }})
        )
    {%- endset -%}
    {%- set literal = execute and relation is not string and model.resource_type == 'model'
        and column in adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- if literal -%}
        {%- set found = run_query('select cast(' ~ bound ~ ' as text) from ' ~ relation) -%}
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
