{#- Who must send each official reporting period's form (DOMAIN.md 7), for every period
    of the seed (the pre-filled forms are written on demand for any period), with
    `plan_year_has_data` for the periods whose plan year has data (a day of the sources in
    one of its reporting periods, or a form sent for one of them): every unit of the units reference that exists during the
    period (valid_from / valid_to), and every unit the portal's data names, except the
    units the seed report_exemptions exempts for the plan year. Schools report only where
    the units reference lists them. -#}
with plan_years as (
    select distinct plan_year from {{ ref('int_periods') }}
    where period_type = 'report'
    union
    select distinct plan_year from {{ ref('int_forms__forms') }}
    where plan_year is not null
),

periods as (
    select
        r.period_key,
        r.plan_year,
        cast(r.period_start as date) as period_start,
        cast(r.period_end as date) as period_end,
        cast(r.due_date as date) as due_date,
        r.label_vi as period_label,
        y.plan_year is not null as plan_year_has_data
    from {{ ref('reporting_periods') }} as r
    left join plan_years as y on r.plan_year = y.plan_year
),

seeded as (
    select
        unit_code,
        cast(valid_from as date) as valid_from,
        cast(nullif(cast(valid_to as varchar), '') as date) as valid_to
    from {{ ref('units') }}
),

portal_units as (
    select unit_code from {{ ref('int_forms__units_known') }}
    where is_portal_unit
),

due as (
    select
        p.*,
        s.unit_code
    from periods as p
    inner join seeded as s
        on (s.valid_from is null or p.period_end >= s.valid_from)
            and (s.valid_to is null or p.period_start <= s.valid_to)
    union
    select
        p.*,
        u.unit_code
    from periods as p
    cross join portal_units as u
),

exemptions as (
    select
        unit_code,
        from_year,
        to_year
    from {{ ref('report_exemptions') }}
)

select d.*
from due as d
where not exists (
        select 1 from exemptions as e
        where e.unit_code = d.unit_code
            and d.plan_year >= e.from_year
            and (e.to_year is null or d.plan_year <= e.to_year)
    )
