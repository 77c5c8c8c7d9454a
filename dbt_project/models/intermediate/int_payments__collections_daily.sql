{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['school_code', 'day'],
        on_schema_change='append_new_columns'
    )
}}

{#- The school collections that count (DOMAIN.md 3, school_cashless_rate) summed per school
    and day: the non-cash amount and the whole amount, refunds netted against the method
    they name. int_kpi_daily reads these sums instead of the tens of millions of rows.

    Incremental (docs/decisions.md, "Cost that grows with what is new"): a run sums again
    only the days of a school that hold a row checked again since this table's newest
    (`_checked_at`): a new file's rows, a row that came to count or stopped counting. A
    row's school and day come from its landed text alone, so a row checked again is in the
    same school and day as before. A school and day whose rows all stopped counting keeps a
    row with `rows_counted` 0, which int_kpi_daily leaves out. A counted row always has its
    school and day (an unknown school or a date that does not parse is quarantined). A
    whole build is one pass over the rows; an incremental one joins the touched school-days
    (a join, not `in`: DuckDB then skips the row groups outside them). -#}
{%- set incremental = incremental_over(['_checked_at']) %}
{%- set counts = kept('c.set_aside_reason', 'c.reason_codes') %}
{%- if incremental %}
with touched as (
    select distinct
        school_code,
        collected_on
    from {{ ref('int_payments__collections_checked') }}
    where
        school_code is not null
        and collected_on is not null
        and _checked_at > (select coalesce(max(_checked_at), cast('-infinity' as timestamp)) from {{ this }})
),

taken as (
    select c.*
    from {{ ref('int_payments__collections_checked') }} as c
    inner join touched as t on c.school_code = t.school_code and c.collected_on = t.collected_on
),
{%- else %}
with taken as (
    select *
    from {{ ref('int_payments__collections_checked') }}
    where school_code is not null and collected_on is not null
),
{%- endif %}

summed as (
    -- every school-day read, those where no row counts included (0 rows)
    select
        c.school_code,
        c.collected_on,
        count(*) filter (where {{ counts }}) as rows_counted,
        sum(c.amount) filter (where {{ counts }} and not c.is_cash) as non_cash,
        sum(c.amount) filter (where {{ counts }}) as denominator
    from taken as c
    group by c.school_code, c.collected_on
)

select
    school_code,
    collected_on as day,
    rows_counted,
    case when rows_counted > 0 then coalesce(non_cash, 0) end as numerator,
    denominator,
    {{ run_time() }} as _checked_at
from summed
