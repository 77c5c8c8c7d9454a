{#- What the units declared in their report forms (DOMAIN.md 7): one row per table row of
    each unit's counted form that breaks no row rule (an unknown code is kept, with its
    warning, and counts nowhere: `kind` is null). Numbers are whole numbers; an empty cell
    is null (not reported). -#}
with rows as (
    select * from {{ ref('int_forms__rows_checked') }}
    where row_kind = 'indicator' and {{ kept() }}
),

periods as (
    select * from {{ ref('dim_reporting_periods') }}
),

indicators as (
    select
        indicator_code,
        kpi_code
    from {{ ref('form_indicators') }}
)

select
    r.period_key,
    p.plan_year,
    p.period_start,
    p.period_end,
    r.unit_code,
    r.indicator_code,
    r.indicator_kind as kind,
    i.kpi_code,
    r.numerator,
    r.denominator,
    r.report_date,
    r.file_label as source_file,
    r._sheet as source_sheet,
    cast(r._row as integer) as source_row
from rows as r
inner join periods as p on r.period_key = p.period_key
left join indicators as i on r.indicator_code = i.indicator_code
