{#- Every incremental model of this project is versioned (this overrides dbt-postgres's `incremental`, for this
    project only; the models keep `materialized='incremental'`, their SQL, names, refs and contracts).

    A model's rows live once, in a table of the store schema (`marts_store`, macro versioned_store), which
    publishing never renames. The model's own relation in its schema (`marts_next`, what ref() and the dbt tests
    read) is a VIEW over that table showing the versions visible at the watermark held in the view's own schema,
    `<schema>._published`: `built_at <= w and (retired_at is null or retired_at > w)`. PostgreSQL binds a view to
    the tables it reads by object, so when publishing renames `marts_next` to `marts` the view and its watermark
    table move together: in the build schema the watermark is 'infinity' (the latest versions), in `marts` the
    published build's stamp (reelhouse/warehouse/marts.py).

    A build never updates a row's data or deletes it: it builds the model's SQL into a temporary table; sets
    `retired_at` = its stamp (macro build_stamp) on the current versions with a key it rebuilt (`unique_key`;
    merge and delete+insert alike: a key may hold several rows) that no new row repeats; drops from the temporary
    table the rows identical to a current version (every column but `built_at`: macro versioned_same_as_current);
    and inserts the rest as new versions (`built_at` = the same stamp). The model's retire_vanished_entities
    pre-hook retires the versions of entities gone from the app. So an hour that re-merges its margin's rows
    unchanged writes nothing, and the models counting their inputs' new versions (versions_since_last_build) see
    only real changes. A full refresh (or a first build of an existing store after the model's SQL changed) does
    the same over every current version: it retires those no new row repeats and inserts the rest, so a rebuild
    that changes nothing writes nothing. The store table is never dropped nor renamed (a DROP ... CASCADE would
    take the readers' views along). Publishing deletes the versions retired at or before the watermark it
    publishes.

    `{{ this }}` in the model SQL is the view, so what a model reads back from its own relation (its newest
    `loaded_at`, the days it built) is the latest versions; introspection of columns (incremental_with_columns)
    and indexes (landed_index) reads the store table. on_schema_change append_new_columns adds columns to the
    store table; the view is replaced with the model's columns (a column inserted before the last ones drops and
    recreates it). The `indexes` config applies to the store table (a unique one holds among the current
    versions, `where retired_at is null`), with three more: the unique key among current versions (the retire
    lookup; a unique index from the config starting with the key serves), `retired_at` among retired versions
    (publishing's purge and its watermark) and `built_at` (the watermark, the narrowed row tests).

    Each build also records, in the same transaction, when it started by the warehouse's clock (`now()`, the
    clock the loaders stamp `_loaded_at` with) and its stamp in `marts_store._builds` (macro versioned_build_log):
    a fact with nothing new since then must not re-read its last batch (macro incremental_lower_bound), and a
    model counting what its inputs' builds changed reads the versions stamped since (macro
    versions_since_last_build). Publishing leaves that table alone (reelhouse/warehouse/marts.py,
    BUILD_LOG_TABLE). -#}

{% macro versioned_store(relation) -%}
    {{ return(relation.incorporate(path={'schema': generate_schema_name('marts_store', none)}, type='table')) }}
{%- endmacro %}

{% macro versioned_watermark(relation) -%}
    {{ return(relation.incorporate(path={'identifier': '_published'}, type='table')) }}
{%- endmacro %}

{% macro versioned_build_log() -%}
    {{ return(api.Relation.create(database=target.database, schema=generate_schema_name('marts_store', none),
                                  identifier='_builds', type='table')) }}
{%- endmacro %}

{#- dbt's is_incremental, for a versioned model: its store table exists (whatever its view) and this is no full
    refresh. -#}
{% macro is_incremental() -%}
    {%- if not execute or model.config.materialized != 'incremental' or should_full_refresh() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set store = versioned_store(this) -%}
    {{ return(adapter.get_relation(store.database, store.schema, store.identifier) is not none) }}
{%- endmacro %}

{#- An index on the store table, created unless one of the same definition is there (a deterministic name). -#}
{% macro versioned_index(store, columns, unique=false, where=none) -%}
    {%- set definition = columns | join(', ') ~ ('|unique' if unique else '') ~ ('|' ~ where if where else '') -%}
    {%- set name = store.identifier[:40] ~ '_' ~ local_md5(definition)[:16] -%}
    create {{ 'unique' if unique }} index if not exists "{{ name }}" on {{ store }} ({{ columns | join(', ') }})
    {%- if where %} where {{ where }}{% endif %}
{%- endmacro %}

{#- The condition that a row of `new_versions` (the build's temporary table) equals `versions` (a current version
    in the store) in every column but built_at (`compared`: those columns, quoted): the key, then the other columns
    as one row's text. Text equality, unlike `is not distinct from`, is hashable: compared column by column, a key
    holding many rows (a day of engagement_tier_daily: every creator's tiers) joined them all pairwise (27 s an hour
    at 100,000 users). The text of a row is its values' text, nulls included, so equal rows give equal text; values
    equal but written differently (numeric 1.0 and 1.00) count as a change, which costs a version, never a row. -#}
{% macro versioned_same_as_current(compared, keys) -%}
    {%- for key in keys %}versions.{{ key }} = new_versions.{{ key }} and {% endfor -%}
    cast(row(versions.{{ compared | join(', versions.') }}) as text)
    = cast(row(new_versions.{{ compared | join(', new_versions.') }}) as text)
{%- endmacro %}

{#- A build over an existing store: retire the current versions (with a key in `new_versions`, or all of them on a
    full refresh) that no row of `new_versions` repeats, drop from `new_versions` the rows a current version holds
    already, insert the rest. `columns`: `new_versions`' columns (adapter.get_columns_in_relation). -#}
{% macro versioned_merge_sql(store, new_versions, keys, columns, stamp, full_refresh) -%}
    {%- set quoted = [] -%}
    {%- for column in columns -%}
        {%- do quoted.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- set same = versioned_same_as_current(quoted | reject('equalto', adapter.quote('built_at')) | list, keys) -%}
    {#- The current versions of the keys the build holds, read by the store's key index. -#}
    {%- set rebuilt_key = '' if full_refresh else 'and (versions.' ~ keys | join(', versions.') ~ ') in (select '
        ~ keys | join(', ') ~ ' from ' ~ new_versions ~ ')' -%}
    update {{ store }} as versions
    set retired_at = {{ stamp }}
    where versions.retired_at is null
        {{ rebuilt_key }}
        and not exists (select from {{ new_versions }} as new_versions where {{ same }});
    delete from {{ new_versions }} as new_versions
    where exists (
        select from {{ store }} as versions
        where versions.retired_at is null
            {{ rebuilt_key }}
            and {{ same }}
    );
    insert into {{ store }} ({{ quoted | join(', ') }})
    select {{ quoted | join(', ') }}
    from {{ new_versions }}
{%- endmacro %}

{% macro versioned_view_sql(view, store, watermark, columns) -%}
    create or replace view {{ view }} as
    select {% for column in columns %}versions.{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ store }} as versions
    where versions.built_at <= (select w.watermark from {{ watermark }} as w)
        and (versions.retired_at is null or versions.retired_at > (select w.watermark from {{ watermark }} as w))
{%- endmacro %}

{#- Create the view over the store table, with `columns` in this order: replaced in place when the existing one's
    columns are its first ones (what CREATE OR REPLACE VIEW allows), else dropped first. -#}
{% macro versioned_replace_view(view, store, watermark, columns) -%}
    {#- The catalog, not dbt's relation cache: this build may have made the view already. -#}
    {%- set found = run_query("select c.relkind from pg_class as c inner join pg_namespace as n"
        ~ " on n.oid = c.relnamespace where n.nspname = '" ~ view.schema ~ "' and c.relname = '" ~ view.identifier
        ~ "'").columns[0].values() -%}
    {%- if found and found[0] != 'v' -%}
        {#- A table an older release built here: the store holds the rows now. -#}
        {%- do run_query('drop table ' ~ view ~ ' cascade') -%}
    {%- elif found -%}
        {%- set had = adapter.get_columns_in_relation(view) | map(attribute='name') | list -%}
        {%- if had != columns[:had | length] -%}
            {%- do run_query('drop view ' ~ view) -%}
        {%- endif -%}
    {%- endif -%}
    {%- do run_query(versioned_view_sql(view, store, watermark, columns)) -%}
{%- endmacro %}

{% materialization incremental, adapter='postgres' -%}

    {%- set view = this.incorporate(type='view') -%}
    {%- set store = versioned_store(this) -%}
    {%- set watermark = versioned_watermark(this) -%}
    {%- set temp_relation = make_temp_relation(this.incorporate(type='table')) -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- if not unique_key -%}
        {%- do exceptions.raise_compiler_error(this ~ ': a versioned incremental model needs a unique_key') -%}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'),
                                                                     default='ignore') -%}
    {%- set stamp = build_stamp() -%}

    {#- The store schema and the view schema's watermark, committed on their own: the models building in
        parallel take turns creating them the first time. -#}
    {%- set build_log = versioned_build_log() -%}
    {%- if adapter.get_relation(watermark.database, watermark.schema, watermark.identifier) is none
        or adapter.get_relation(store.database, store.schema, store.identifier) is none
        or adapter.get_relation(build_log.database, build_log.schema, build_log.identifier) is none -%}
        {%- call statement('versioned_setup') -%}
            select pg_advisory_xact_lock(hashtextextended('reelhouse:versioned_setup', 0));
            create schema if not exists {{ adapter.quote(store.schema) }};
            create table if not exists {{ watermark }} (watermark timestamptz not null);
            insert into {{ watermark }} (watermark)
            select cast('infinity' as timestamptz) where not exists (select from {{ watermark }});
            create table if not exists {{ build_log }} (
                model text primary key, started_at timestamptz not null, stamp timestamptz not null
            );
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}

    {%- set existing_store = adapter.get_relation(store.database, store.schema, store.identifier) -%}
    {%- set full_refresh_mode = should_full_refresh() or existing_store is none -%}

    {#- What the model's SQL and its pre-hooks read as {{ this }}: the latest versions. -#}
    {%- set stored = [] -%}
    {%- if existing_store is not none -%}
        {%- set stored = adapter.get_columns_in_relation(existing_store) | map(attribute='name')
            | reject('equalto', 'retired_at') | list -%}
        {%- do versioned_replace_view(view, existing_store, watermark, stored) -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {#- The model's SQL, into a temporary table (a contract is checked here: dbt's create_table_as). -#}
    {%- do run_query(get_create_table_as_sql(True, temp_relation, sql)) -%}
    {%- set built_columns = adapter.get_columns_in_relation(temp_relation) -%}
    {%- set columns = built_columns | map(attribute='name') | list -%}
    {%- if 'built_at' not in columns -%}
        {%- do exceptions.raise_compiler_error(this ~ ': a versioned incremental model stamps built_at') -%}
    {%- endif -%}

    {%- if existing_store is none -%}
        {%- set build_sql -%}
            create table {{ store }} as
            select
                new_versions.*,
                cast(null as timestamptz) as retired_at
            from {{ temp_relation }} as new_versions
        {%- endset -%}
    {%- else -%}
        {%- if on_schema_change != 'ignore' -%}
            {%- do process_schema_changes(on_schema_change, temp_relation, existing_store) -%}
        {%- endif -%}
        {#- The planner needs the build's size to look its keys up by the current versions' key index. -#}
        {%- do run_query('analyze ' ~ temp_relation) -%}
        {%- set build_sql = versioned_merge_sql(store, temp_relation, keys, built_columns, stamp,
                                                full_refresh_mode) -%}
    {%- endif -%}

    {%- call statement('main') -%}
        insert into {{ build_log }} (model, started_at, stamp)
        values ('{{ store.identifier }}', now(), {{ stamp }})
        on conflict (model) do update set started_at = excluded.started_at, stamp = excluded.stamp;
        {{ build_sql }}
    {%- endcall -%}

    {%- set unique_on_keys = [] -%}
    {%- for index in config.get('indexes', []) -%}
        {%- set parsed = adapter.parse_index(index) -%}
        {%- do run_query(versioned_index(store, parsed.columns, parsed.unique,
                                         'retired_at is null' if parsed.unique else none)) -%}
        {%- if parsed.unique and parsed.columns[:keys | length] == keys -%}
            {%- do unique_on_keys.append(true) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not unique_on_keys -%}
        {%- do run_query(versioned_index(store, keys, where='retired_at is null')) -%}
    {%- endif -%}
    {%- do run_query(versioned_index(store, ['retired_at'], where='retired_at is not null')) -%}
    {%- do run_query(versioned_index(store, ['built_at'])) -%}
    {%- do run_query('drop table ' ~ temp_relation) -%}

    {#- Replaced again only when the build changed the columns (a first build, a new column): usually the view made
        above already shows them. -#}
    {%- if columns != stored -%}
        {%- do versioned_replace_view(view, store, watermark, columns) -%}
    {%- endif -%}

    {%- do apply_grants(view, config.get('grants'), should_revoke=false) -%}
    {%- do persist_docs(view, model) -%}

    {%- if existing_store is none -%}
        {%- do run_query('analyze ' ~ store) -%}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {%- do adapter.commit() -%}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [view]}) }}

{%- endmaterialization %}
