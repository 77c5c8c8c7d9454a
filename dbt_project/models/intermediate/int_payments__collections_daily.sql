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
    school and day (an unknown school or a date that does not parse is quarantined). The
    checked rows are read twice, each time from the table: a CTE read twice is materialised
    whole by DuckDB, all tens of millions of rows. -#}
with touched as (
    select distinct
        school_code,
        collected_on
    from {{ ref('int_payments__collections_checked') }}
    where
        school_code is not null
        and collected_on is not null
        {%- if incremental_over(['_checked_at']) %}
        and _checked_at > (select coalesce(max(_checked_at), cast('-infinity' as timestamp)) from {{ this }})
        {%- endif %}
),

summed as (
    -- joined (not `in`), DuckDB skips the row groups outside the touched schools and days
    select
        c.school_code,
        c.collected_on,
        count(*) as rows_counted,
        coalesce(sum(c.amount) filter (where not c.is_cash), 0) as numerator,
        sum(c.amount) as denominator
    from {{ ref('int_payments__collections_checked') }} as c
    inner join touched as t on c.school_code = t.school_code and c.collected_on = t.collected_on
    where {{ kept('c.set_aside_reason', 'c.reason_codes') }}
    group by c.school_code, c.collected_on
)

select
    t.school_code,
    t.collected_on as day,
    coalesce(s.rows_counted, 0) as rows_counted,
    s.numerator,
    s.denominator,
    {{ run_time() }} as _checked_at
from touched as t
left join summed as s on t.school_code = s.school_code and t.collected_on = s.collected_on
