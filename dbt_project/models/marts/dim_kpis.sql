{#- The KPIs of the plan with their Vietnamese and English names (seed kpi_definitions). -#}
select
    kpi_code,
    plan_item,
    measure,
    source,
    name_vi,
    name_en
from {{ ref('kpi_definitions') }}
