{#- Where a model lands. The prod target (the pipeline, `reelhouse dbt`, the tests: dbt_env sets it) writes exactly
    the schema a folder names (staging, intermediate, marts_next), which `reelhouse db init` creates with its
    grants and publishing swaps into `marts`. Any other target writes `<target schema>_<custom>` (dbt's own
    default), e.g. dev_alice_marts_next for `--target dev`: a developer pointed at a shared warehouse builds beside
    production, never into it. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
