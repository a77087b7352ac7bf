{#- The Admin Analytics Plan's week-over-week comparison over 1, 2 and 4-week windows of the metrics that
    semantic/metrics.yml marks with a wow_metric. Each value is the metric's own SQL over its mart's rows in the window
    (macro wow_metric_value), the query the weekly email and Superset run: a metric is defined once, in metrics.yml (dbt
    reads it through the generated macro semantic_wow_metrics). -#}

with

windows as (

    select
        weeks,
        period,
        window_start,
        window_end
    from {{ ref('int_wow_windows') }}

),

values_per_window as (

    {% for metric in semantic_wow_metrics() %}
        select
            windows.weeks,
            windows.period,
            '{{ metric.name | replace("'", "''") }}' as metric,
            '{{ metric.label | replace("'", "''") }}' as metric_label,
            cast({{ wow_metric_value(metric, 'windows.window_start', 'windows.window_end') }} as numeric) as value
        from windows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

compared as (

    select
        values_per_window.metric,
        values_per_window.metric_label,
        values_per_window.weeks,
        max(case when values_per_window.period = 'current' then windows.window_start end) as current_start,
        max(case when values_per_window.period = 'current' then windows.window_end end) as current_end,
        max(case when values_per_window.period = 'current' then values_per_window.value end) as current_value,
        max(case when values_per_window.period = 'previous' then values_per_window.value end) as previous_value
    from values_per_window
    inner join windows
        on
            values_per_window.weeks = windows.weeks
            and values_per_window.period = windows.period
    group by values_per_window.metric, values_per_window.metric_label, values_per_window.weeks

)

select
    metric,
    metric_label,
    weeks,
    current_start,
    current_end,
    current_value,
    previous_value,
    current_value - previous_value as absolute_change,
    case
        when previous_value is null or previous_value = 0 then null
        else (current_value - previous_value) / abs(previous_value)
    end as pct_change
from compared
