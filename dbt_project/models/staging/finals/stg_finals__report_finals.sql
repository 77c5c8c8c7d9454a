{#- Figures of reports made final (DOMAIN.md 5), kept as reported: one row per reporting
    period x unit x KPI. -#}
select
    period_key,
    unit_code,
    kpi_code,
    numerator,
    denominator,
    reported_at,
    release_id
from {{ source('finals', 'report_finals') }}
