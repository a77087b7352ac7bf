{#- When the dbt invocation writing a row started (dbt's run_started_at): the same on every row one build writes,
    later on every later build's. An incremental model stamps its rows `built_at` with it, so the hourly row tests
    read only the rows a build wrote since the last published one. -#}

{% macro build_stamp() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamptz)
{%- endmacro %}
