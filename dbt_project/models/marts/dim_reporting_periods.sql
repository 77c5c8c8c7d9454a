{#- The official reporting periods (DOMAIN.md 5), as the seed reporting_periods declares
    them: the report forms and the reports read their labels and due dates from here. -#}
select
    period_key,
    plan_year,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(due_date as date) as due_date,
    label_vi
from {{ ref('reporting_periods') }}
