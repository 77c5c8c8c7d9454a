{#- Số liệu trên Hệ thống (tham khảo): the portal's own figures behind each declared count
    of the report form (DOMAIN.md 7), per official reporting period and unit: received, received online, ended, ended on
    time as DOMAIN.md 3 defines them (the numerator or denominator of the KPI the seed
    form_indicators names). A unit and period without dossiers has no row (zero). The pre-filled
    forms print them beside the declared counts; form_crosschecks compares against them. -#}
with checks as (
    select
        indicator_code,
        portal_kpi_code,
        portal_part
    from {{ ref('form_indicators') }}
    where kind = 'declared'
),

periods as (
    select
        period_key,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from {{ ref('reporting_periods') }}
)

select
    p.period_key,
    k.unit_code,
    c.indicator_code as check_code,
    cast(sum(case when c.portal_part = 'numerator' then k.numerator else k.denominator end) as bigint) as computed
from {{ ref('int_kpi_daily') }} as k
inner join checks as c on k.kpi_code = c.portal_kpi_code
inner join periods as p on k.day between p.period_start and p.period_end
group by p.period_key, k.unit_code, c.indicator_code
