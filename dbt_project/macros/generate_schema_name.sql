{#- Schemas are named as configured (staging, intermediate, marts, reference), not prefixed
    with the target's schema: analysts query `marts.kpi_scorecard`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
