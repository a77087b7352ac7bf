{#- "Now" for every mart: the wall clock, or REELHOUSE_AS_OF (set by `reelhouse` from the same
    variable) when a demo or a test replays a world that ended in the past. Windows such as 24h/7d/30d
    and "inactive for 14 days" are measured from here, never from now() inside a model. -#}

{% macro reporting_time() -%}
    {%- set frozen = env_var('REELHOUSE_AS_OF', '') -%}
    {%- if frozen -%}
        cast('{{ frozen }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ dbt.current_timestamp() }}
    {%- endif -%}
{%- endmacro %}

{% macro reporting_date() -%}
    cast({{ reporting_time() }} as date)
{%- endmacro %}
