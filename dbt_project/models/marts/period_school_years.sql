{#- Which school year a period shows for the KPIs counted by school year
    (school_digital_level2_share): the latest school year with data that began by the
    period's end. The report, `cchc scorecard` and SQL users all read it here, so "2024"
    means the same school year everywhere (docs/decisions.md). -#}
with periods as (
    select
        period_type,
        period_key,
        period_end
    from {{ ref('int_periods') }}
),

school_years as (
    select distinct
        period_key as school_year,
        period_start
    from {{ ref('kpi_scorecard') }}
    where period_type = 'school_year'
)

select
    p.period_type,
    p.period_key,
    max(y.school_year) as school_year
from periods as p
inner join school_years as y on p.period_end >= y.period_start
group by p.period_type, p.period_key
