{#- Percentiles are engine-specific aggregates: these dispatch so another adapter can add its own version.
    PostgreSQL has the ordered-set aggregate percentile_cont (continuous: interpolates between the two
    nearest values); it has no median(), so median(x) is percentile(x, 0.5). Use them like any aggregate,
    e.g. `{{ median('hours_to_convert') }} as median_hours_to_convert` with a group by. percentile_cont answers in
    double precision; the result is cast to numeric, the type every published measure has (model contracts). -#}

{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'reelhouse')(expression, fraction)) }}
{%- endmacro %}

{% macro postgres__percentile(expression, fraction) -%}
    cast(percentile_cont({{ fraction }}) within group (order by {{ expression }}) as numeric)
{%- endmacro %}

{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'reelhouse')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    {{ reelhouse.percentile(expression, 0.5) }}
{%- endmacro %}
