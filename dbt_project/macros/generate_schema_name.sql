{#- Models land in exactly the schema they name (staging, intermediate, marts_next), not
    "<target>_<custom>": the schemas and their grants are created by `reelhouse db init`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
