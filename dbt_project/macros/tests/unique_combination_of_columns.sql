{#- A model's grain: no two rows share the same values in `combination_of_columns` (our own version of dbt_utils'
    test of that name: dbt hub packages cannot be installed here). Rows are grouped on the columns themselves, so a
    null is a value like any other: two rows (2026-11-01, null) are a duplicate, which a `unique` test on a
    concatenated string (`date_day || '|' || plan`, null for both) would miss. `model` is what get_where_subquery
    returns: the test honours a `where` config, and in an hourly pipeline run reads only the rows sharing a key with
    a row written since the last published build (landed_rows_condition, macros/tests/get_where_subquery.sql). -#}

{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- if combination_of_columns is string or combination_of_columns | length < 2 -%}
    {{ exceptions.raise_compiler_error(
        "unique_combination_of_columns needs a list of at least two columns (one column: use unique + not_null), got "
        ~ combination_of_columns) }}
{%- endif -%}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
