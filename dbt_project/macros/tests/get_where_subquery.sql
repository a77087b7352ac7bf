{#- dbt's hook that applies a generic test's `where` config (overridden here as dbt's docs show), extended with one
    more filter: in an hourly pipeline run, the row tests read only the rows written since the last published build.
    On a staging view: the rows that landed since. Such a view passes raw's rows through one for one, and
    `loaded_at` is when each row last landed (the loader stamps it on every insert and update), so a row that landed
    before that build was tested by it and has not changed since. On an incremental model: the rows its builds
    wrote since, by their `built_at` (macro build_stamp). A row the table kept was written by a build that was
    published, after its tests passed, or was already there then: the schema a build writes into is the one the
    second-to-last published build wrote (reelhouse/warehouse/marts.py), and nothing writes into it while readers
    see it. Without the scope, unique and not_null on the staging keys and the facts read every row each hour
    (`unique` on messages: 2.9 s at 100k users, and growing with the table).

    The pipeline sets REELHOUSE_TESTS_LANDED_SINCE (orchestration/lib/audited_rows.py) only when the last published build
    ran the same project (else a new or changed test would never see old rows); dbt run by hand and full rebuilds
    leave it unset and test every row. The incremental lookback widens the window, as it does for the facts.
    Scoped: not_null, accepted_values and reelhouse_expression_is_true (a row alone passes or fails), unique (every
    row sharing a key with a row written since: the key index finds them) and unique_combination_of_columns (every
    row whose whole combination equals a written row's: a row-value IN, which PostgreSQL answers from the grain's
    index when few rows were written). Relationship tests, tests that only warn and tests on tables rebuilt in full
    read every row. -#}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set landed = landed_rows_condition(relation) -%}
    {%- if landed -%}
        {%- do conditions.append(landed) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro landed_rows_condition(relation) -%}
    {#- Read only while executing: an env_var read at parse time would make every new value re-parse the project. -#}
    {%- if not execute or model.resource_type != 'test' or not model.get('test_metadata') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = env_var('REELHOUSE_TESTS_LANDED_SINCE', '') -%}
    {%- set test_name = model.test_metadata.name -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
    {#- A warning reports a standing problem every run, so a test configured to warn reads every row. -#}
    {%- if not since or test_name not in ['unique', 'not_null', 'accepted_values', 'reelhouse_expression_is_true',
                                           'unique_combination_of_columns']
        or not tested or (model.config.severity or '') | lower == 'warn' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if tested.config.materialized == 'view' and 'loaded_at' in tested.columns -%}
        {%- set written = 'loaded_at' -%}
    {%- elif tested.config.materialized == 'incremental' and 'built_at' in tested.columns -%}
        {%- set written = 'built_at' -%}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set landed_since -%}
        {{ written }} >= {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'),
                                        "cast('" ~ since ~ "' as timestamptz)") }}
    {%- endset -%}
    {%- if test_name == 'unique' -%}
        {%- set key = model.test_metadata.kwargs.column_name -%}
        {%- set written_keys = 'select ' ~ key ~ ' from ' ~ relation ~ ' where ' ~ landed_since -%}
        {#- A column: = any(array(...)), not in (...), so PostgreSQL looks the keys up in its index instead of hashing
            the whole table (45 ms against 410 ms on 2.7M messages). An expression has no index, and = any() then
            compares every row with every key written (quadratic: hours on 7M retention-curve rows after a full
            build), so it gets in (...), a hash of the keys and one pass over the table. -#}
        {%- if modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', key) -%}
            {{ return(key ~ ' = any(array(' ~ written_keys ~ '))') }}
        {%- endif -%}
        {{ return(key ~ ' in (' ~ written_keys ~ ')') }}
    {%- endif -%}
    {%- if test_name == 'unique_combination_of_columns' -%}
        {#- A duplicate pair is either two written rows or a kept row and a written one with its key: both are among
            the rows whose combination a written row has. Null in a key column: such a row is checked only by
            unscoped runs (as with unique). -#}
        {%- set key = '(' ~ model.test_metadata.kwargs.combination_of_columns | join(', ') ~ ')' -%}
        {{ return(key ~ ' in (select ' ~ key[1:-1] ~ ' from ' ~ relation ~ ' where ' ~ landed_since ~ ')') }}
    {%- endif -%}
    {{ return(landed_since) }}
{%- endmacro %}
