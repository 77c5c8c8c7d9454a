{#- The published scorecard (DOMAIN.md 3): one row per period x unit x KPI wherever the
    denominator is not zero. `ALL` is the whole department (every valid record, withheld
    units' included). A withheld unit keeps its rows' keys with null figures and a note. -#}
with daily as (
    select * from {{ ref('int_kpi_daily') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

dossier_kpis as (
    select
        p.period_type,
        p.period_key,
        p.period_start,
        p.period_end,
        p.plan_year,
        d.unit_code,
        d.kpi_code,
        sum(d.numerator) as numerator,
        sum(d.denominator) as denominator
    from daily as d
    inner join periods as p on d.day between p.period_start and p.period_end
    group by p.period_type, p.period_key, p.period_start, p.period_end, p.plan_year, d.unit_code, d.kpi_code
),

procedure_facts as (
    select * from {{ ref('int_portal__procedure_facts') }}
),

procedure_counts as (
    select
        unit_code,
        kpi_code,
        count(*) filter (where in_numerator) as numerator,
        count(*) as denominator
    from procedure_facts
    group by unit_code, kpi_code
    union all
    select
        'ALL',
        kpi_code,
        count(*) filter (where in_numerator),
        count(*)
    from procedure_facts
    group by kpi_code
),

-- The API serves the current catalogue only: its figures stand for every period.
procedure_kpis as (
    select
        p.period_type,
        p.period_key,
        p.period_start,
        p.period_end,
        p.plan_year,
        c.unit_code,
        c.kpi_code,
        c.numerator,
        c.denominator
    from procedure_counts as c
    cross join periods as p
),

-- school_digital_level2_share (DOMAIN.md 3): by school year (1 September to 31 August;
-- plan year = the year it ends), for ALL and each school.
assessments as (
    select * from {{ ref('fct_school_assessments') }}
),

school_years as (
    select distinct
        school_year,
        {{ school_year_start('school_year') }} as period_start,
        {{ school_year_end('school_year') }} as period_end,
        cast(right(school_year, 4) as integer) as plan_year
    from assessments
),

school_kpis as (
    select
        'school_year' as period_type,
        y.school_year as period_key,
        y.period_start,
        y.period_end,
        y.plan_year,
        a.school_code as unit_code,
        'school_digital_level2_share' as kpi_code,
        count(*) filter (where a.is_level2_both) as numerator,
        count(*) as denominator
    from assessments as a
    inner join school_years as y using (school_year)
    group by y.school_year, y.period_start, y.period_end, y.plan_year, a.school_code
),

-- the six self-reported rates (DOMAIN.md 7), by official reporting period: each unit
-- whose counted form has both numbers of the rate; ALL sums them like any unit's figures
form_kpis as (
    select
        'report' as period_type,
        period_key,
        period_start,
        period_end,
        plan_year,
        unit_code,
        kpi_code,
        numerator,
        denominator
    from {{ ref('fct_form_indicators') }}
    where kind = 'rate' and numerator is not null and denominator is not null
),

unit_figures as (
    select * from dossier_kpis
    union all
    select * from school_kpis
    union all
    select * from form_kpis
),

-- form_on_time_rate (plan III.3), ALL only: units on time / units due whose due date has
-- passed (form_submissions)
form_timeliness as (
    select
        'report' as period_type,
        p.period_key,
        p.period_start,
        p.period_end,
        p.plan_year,
        'ALL' as unit_code,
        'form_on_time_rate' as kpi_code,
        count(*) filter (where s.status = 'on_time' and s.due_date < {{ local_today() }}) as numerator,
        count(*) filter (where s.due_date < {{ local_today() }}) as denominator
    from {{ ref('form_submissions') }} as s
    inner join {{ ref('dim_reporting_periods') }} as p on s.period_key = p.period_key
    group by p.period_key, p.period_start, p.period_end, p.plan_year
    having count(*) filter (where s.due_date < {{ local_today() }}) > 0
),

-- ALL: the whole department, every valid record (withheld units' included)
all_figures as (
    select
        period_type,
        period_key,
        period_start,
        period_end,
        plan_year,
        'ALL' as unit_code,
        kpi_code,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from unit_figures
    group by period_type, period_key, period_start, period_end, plan_year, kpi_code
),

figures as (
    select * from unit_figures
    union all
    select * from all_figures
    union all
    select * from procedure_kpis
    union all
    select * from form_timeliness
),

targets as (
    select
        kpi_code,
        plan_year,
        target
    from {{ ref('kpi_targets') }}
),

finals as (
    select
        period_key,
        unit_code,
        kpi_code,
        numerator,
        denominator,
        reported_at
    from {{ ref('stg_finals__report_finals') }}
),

withheld as (
    select
        unit_code,
        quarantined_share
    from {{ ref('int_unit_quality') }}
    where is_withheld
),

scored as (
    select
        f.*,
        t.target,
        w.unit_code is not null and f.unit_code <> 'ALL' as is_withheld,
        w.quarantined_share,
        r.numerator as reported_numerator,
        r.denominator as reported_denominator,
        r.reported_at
    from figures as f
    left join targets as t on f.kpi_code = t.kpi_code and f.plan_year = t.plan_year
    left join withheld as w on f.unit_code = w.unit_code
    left join finals as r
        on f.period_type = 'report' and f.period_key = r.period_key
            and f.unit_code = r.unit_code and f.kpi_code = r.kpi_code
)

select
    period_type,
    period_key,
    period_start,
    period_end,
    unit_code,
    kpi_code,
    cast(case when not is_withheld then numerator end as bigint) as numerator,
    cast(case when not is_withheld then denominator end as bigint) as denominator,
    case when not is_withheld and denominator > 0 then 1.0 * numerator / denominator end as value,
    target,
    case
        when is_withheld or denominator = 0 or target is null then null
        -- compared on the exact ratio: numerator >= target x denominator in decimals
        else numerator >= cast(target as decimal(18, 6)) * denominator
    end as met,
    case when is_withheld then 'withheld' else 'ok' end as status,
    case when is_withheld then
            'Số liệu của đơn vị bị tạm giữ: ' || cast(round(100 * quarantined_share, 2) as varchar)
            || '% bản ghi bị cách ly, vượt ngưỡng ' || cast(100 * {{ var('unit_quarantine_threshold') }} as varchar)
            || '% (unit withheld: quarantined share above threshold)'
    end as note,
    -- as reported when the period's report was made final; never changed afterwards
    cast(reported_numerator as bigint) as reported_numerator,
    cast(reported_denominator as bigint) as reported_denominator,
    cast(reported_at as timestamp) as reported_at
from scored
