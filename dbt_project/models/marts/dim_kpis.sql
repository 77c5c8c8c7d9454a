{#- The KPIs of the plan with their Vietnamese and English names (seed kpi_definitions),
    and whether the units report them themselves. -#}
select
    kpi_code,
    plan_item,
    measure,
    source,
    name_vi,
    name_en,
    -- declared by the units in their report forms (DOMAIN.md 7), not computed from the
    -- sources: reports print them "đơn vị tự báo cáo"
    source = 'forms' as is_self_reported
from {{ ref('kpi_definitions') }}
