{#- Rows where `expression` is false fail the test (our own version: dbt hub packages cannot be installed). -#}

{% test reelhouse_expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
