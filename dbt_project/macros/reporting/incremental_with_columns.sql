{#- is_incremental(), and the existing table already has the `columns` this run reads back from it (the model's
    store table, macro versioned_store: its view is replaced with the model's columns each build). A table built
    before a change that added them (or before the model became incremental) would fail the run with "column does
    not exist"; instead it gets the model's full build once: dbt adds the columns (on_schema_change) and the rows
    replace the table's key by key, and the pre-hook has removed entities gone from the app. In a unit test (which
    overrides is_incremental) it is is_incremental() alone. -#}

{% macro incremental_with_columns(columns) -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if model.resource_type != 'model' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(versioned_store(this)) | map(attribute='name') | list -%}
    {%- set missing = columns | reject('in', existing) | list -%}
    {%- if missing -%}
        {{ log(versioned_store(this) ~ ' lacks ' ~ missing | join(', ') ~ ': building it in full once', info=true) }}
    {%- endif -%}
    {{ return(not missing) }}
{%- endmacro %}
