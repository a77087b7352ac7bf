{#- The lower bound an incremental model re-processes from: its newest `column` minus the lookback
    (var incremental_lookback_hours). The facts pass `loaded_at` (when the row last landed in the warehouse), not
    the app's `updated_at`, so a row committed late with an old `updated_at` is still picked up and merged.
    Landing times only move forward between two builds of a table (pipeline runs take turns, and each load batch
    commits in seconds), so the lookback is a margin for a load that overlapped a build or a server clock stepped
    back, not a window of history: a run merges about an hour of rows, not days (BENCHMARKS.md).
    A column just added to an existing table (on_schema_change) is empty: then everything is re-processed once.
    `relation` defaults to the model's own table; a model that already holds its newest rows in a CTE passes it. -#}

{% macro incremental_lower_bound(column, relation=this) -%}
    (
        select
            coalesce(
                {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(' ~ column ~ ')') }},
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            )
        from {{ relation }}
    )
{%- endmacro %}
