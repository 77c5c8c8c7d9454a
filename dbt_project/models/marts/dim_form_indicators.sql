{#- The rows of the units' report form (DOMAIN.md 7), in their order, with the Vietnamese
    name each is printed under: a rate's name is its KPI's (kpi_definitions). -#}
select
    i.indicator_code,
    i.row_order,
    i.kind,
    i.kpi_code,
    coalesce(k.name_vi, i.name_vi) as name_vi,
    k.plan_item,
    i.numerator_vi,
    i.denominator_vi,
    i.portal_kpi_code,
    i.portal_part
from {{ ref('form_indicators') }} as i
left join {{ ref('kpi_definitions') }} as k on i.kpi_code = k.kpi_code
