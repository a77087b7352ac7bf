{#- `column` is one of the values `query` returns (a one-column select): `column in (query)`, which on PostgreSQL is
    written `column = any(array(query))`. PostgreSQL plans `in (query)` against a staging view as a hash semi-join
    over the whole raw table, even when the query returns a handful of keys and the key is indexed: it does not
    push the join key into the view as an index condition. The array is computed once (an InitPlan) and becomes
    an index condition on the raw table (fct_credit_transactions: BENCHMARKS.md, "Incremental plans"). Use it where
    the query returns few rows; nulls it returns match nothing either way. -#}

{% macro in_query(column, query) -%}
    {{ return(adapter.dispatch('in_query', 'reelhouse')(column, query)) }}
{%- endmacro %}

{% macro default__in_query(column, query) -%}
    {{ column }} in ({{ query }})
{%- endmacro %}

{% macro postgres__in_query(column, query) -%}
    {{ column }} = any(array({{ query }}))
{%- endmacro %}
