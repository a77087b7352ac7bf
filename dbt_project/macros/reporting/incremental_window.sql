{#- The lower bound an incremental model re-processes from: its newest `column` minus the lookback
    (var incremental_lookback_days), so late rows inside the window are picked up and merged. -#}

{% macro incremental_lower_bound(column) -%}
    (
        select {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ column ~ ')') }}
        from {{ this }}
    )
{%- endmacro %}
