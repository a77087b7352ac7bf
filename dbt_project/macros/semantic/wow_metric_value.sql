{#- A semantic/metrics.yml metric over one window, exactly as the email and Superset compute it
    (semantic/metrics.py metric_query): the metric's SQL over its mart's rows whose time column is in
    [window_start, window_end). A scalar subquery, so the metric's unqualified columns are the mart's. -#}

{% macro wow_metric_value(metric, window_start, window_end) -%}
    (
        select {{ metric.sql }}
        from {{ ref(metric.model) }}
        where
            {{ metric.time_column }} >= {{ window_start }}
            and {{ metric.time_column }} < {{ window_end }}
    )
{%- endmacro %}
