{#- The lower bound an incremental model re-processes from: its newest `column` minus the lookback
    (var incremental_lookback_days). The facts pass `loaded_at` (when the row last landed in the warehouse), not
    the app's `updated_at`, so a row committed late with an old `updated_at` is still picked up and merged.
    A column just added to an existing table (on_schema_change) is empty: then everything is re-processed once. -#}

{% macro incremental_lower_bound(column) -%}
    (
        select
            coalesce(
                {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ column ~ ')') }},
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            )
        from {{ this }}
    )
{%- endmacro %}
