{#- When the dbt invocation writing a row started (dbt's run_started_at): the same on every row one build writes,
    later on every later build's. An incremental model stamps its rows `built_at` with it, so a mart built from it
    finds the rows it rewrote since the mart's own last build (days_to_rebuild). -#}

{% macro build_stamp() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamptz)
{%- endmacro %}
