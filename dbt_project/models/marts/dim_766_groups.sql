{#- The Decision 766 groups (seed groups_766) with their Vietnamese names, and the
    scorecard's whole ('TOTAL', "Tổng cộng") last: what reports print for a group code. -#}
select
    group_code,
    group_order,
    name_vi,
    name_en
from {{ ref('groups_766') }}
union all
select
    'TOTAL' as group_code,
    99 as group_order,
    'Tổng cộng' as name_vi,
    'Total' as name_en
