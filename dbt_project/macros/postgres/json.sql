{#- JSON access is engine-specific: these dispatch so another adapter can add its own version.
    PostgreSQL reads raw_stripe's JSONB with #>> (text at a path). -#}

{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'reelhouse')(column, path)) }}
{%- endmacro %}

{% macro postgres__json_text(column, path) -%}
    ({{ column }} #>> '{{ "{" ~ (path | join(",")) ~ "}" }}')
{%- endmacro %}

{% macro epoch_to_timestamp(expression) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'reelhouse')(expression)) }}
{%- endmacro %}

{% macro postgres__epoch_to_timestamp(expression) -%}
    to_timestamp(({{ expression }})::bigint)
{%- endmacro %}
