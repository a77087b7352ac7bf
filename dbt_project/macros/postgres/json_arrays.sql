{#- JSON arrays inside raw_stripe's objects (invoice lines, subscription items, taxes, discounts). Engine-specific, so
    they dispatch like json_text; PostgreSQL implementations only for now. A missing key, a JSON null or a non-array
    value counts as an empty array (Stripe sends `null` for an absent optional list, e.g. `total_taxes`). -#}

{% macro json_array(column, path) -%}
    {{ return(adapter.dispatch('json_array', 'reelhouse')(column, path)) }}
{%- endmacro %}

{% macro postgres__json_array(column, path) -%}
    {%- set at = column ~ " #> '" ~ "{" ~ (path | join(",")) ~ "}'" -%}
    (case when jsonb_typeof({{ at }}) = 'array' then {{ at }} else '[]'::jsonb end)
{%- endmacro %}

{#- A join that gives one row per element of the array at `path`: `element_name` is the element (read it with
    json_text(element_name, [...])), `element_name_position` its 1-based position in the array. Rows whose array is
    empty give no row (an inner join, as unnesting should). -#}
{% macro json_array_elements_join(column, path, element_name) -%}
    {{ return(adapter.dispatch('json_array_elements_join', 'reelhouse')(column, path, element_name)) }}
{%- endmacro %}

{% macro postgres__json_array_elements_join(column, path, element_name) -%}
    cross join lateral jsonb_array_elements({{ json_array(column, path) }})
    with ordinality as {{ element_name }}_elements ({{ element_name }}, {{ element_name }}_position)
{%- endmacro %}

{#- The number of elements of the array at `path` (0 when absent). -#}
{% macro json_array_length(column, path) -%}
    {{ return(adapter.dispatch('json_array_length', 'reelhouse')(column, path)) }}
{%- endmacro %}

{% macro postgres__json_array_length(column, path) -%}
    jsonb_array_length({{ json_array(column, path) }})
{%- endmacro %}

{#- An aggregate (sum, min, max) of one numeric field over the elements of an array, e.g. an invoice's tax =
    sum of total_taxes[].amount (0 for an empty or absent array: json_array_sum), a subscription's current period
    start = min of items.data[].current_period_start (null for no items). `where` optionally keeps only the elements
    whose other fields have these text values: {'tax_behavior': 'inclusive'}. -#}
{% macro json_array_aggregate(column, path, field, aggregate, where=none) -%}
    {{ return(adapter.dispatch('json_array_aggregate', 'reelhouse')(column, path, field, aggregate, where)) }}
{%- endmacro %}

{% macro postgres__json_array_aggregate(column, path, field, aggregate, where) -%}
    (
        select {{ aggregate }}(cast(element #>> '{{ "{" ~ field ~ "}" }}' as numeric))
        from jsonb_array_elements({{ json_array(column, path) }}) as elements (element)
        {%- if where %}
            where
            {%- for key, value in where.items() %}
                {% if not loop.first %}and {% endif %}element #>> '{{ "{" ~ key ~ "}" }}' = '{{ value }}'
            {%- endfor %}
        {%- endif %}
    )
{%- endmacro %}

{% macro json_array_sum(column, path, field, where=none) -%}
    coalesce({{ json_array_aggregate(column, path, field, 'sum', where) }}, 0)
{%- endmacro %}

{#- The id at `path` of a field Stripe may send as an id or, expanded, as an object with an `id`. -#}
{% macro json_id(column, path) -%}
    coalesce({{ json_text(column, path + ['id']) }}, {{ json_text(column, path) }})
{%- endmacro %}
