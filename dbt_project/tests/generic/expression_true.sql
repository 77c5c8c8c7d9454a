{#- Every row satisfies a boolean SQL expression (rows that do not are the failures). -#}
{% test expression_true(model, expression, where=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% if where %} and ({{ where }}){% endif %}
{% endtest %}
