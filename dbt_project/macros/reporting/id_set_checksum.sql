{#- An order-independent checksum of the set of ids an aggregate sees (each id once): the sum of a 64-bit hash of
    each. Two different sets have the same count and checksum only by a hash collision, so an incremental model
    can store it per group and compare it with what the warehouse holds now to find the groups that changed,
    additions and deletions alike. Nulls are skipped; an empty set gives null. -#}

{% macro id_set_checksum(id_column) -%}
    sum(hashtextextended(cast({{ id_column }} as text), 0))
{%- endmacro %}
