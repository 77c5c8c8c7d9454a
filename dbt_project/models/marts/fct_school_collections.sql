{#- School collections that count (DOMAIN.md 2.3): one row per receipt line, the student
    code pseudonymised (`student_key`), the school attributed to its managing unit and
    district as they stood on Ngày thu. A refund is a negative amount.

    Incremental (docs/decisions.md, "Cost that grows with what is new"): the rows checked
    again since this table's newest (`_checked_at`) are dropped first (pre-hook) and those of
    them that count are inserted again, so a row that came to be quarantined or superseded
    leaves and a row that came to count arrives. A new school list checks every row again
    (int_payments__collections_checked), so attributions follow. The bookkeeping columns
    (`_…`) are not published. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_rows_checked_again(ref('int_payments__collections_checked')) }}",
        post_hook="{{ drop_rows_built_before('_checked_at') }}"
    )
}}
with collections as (
    select * from {{ ref('int_payments__collections_checked') }}
    where
        {{ kept() }}
        and {{ checked_since_this() }}
),

schools as (
    select
        school_code,
        attributed_from,
        managing_unit,
        district,
        school_level
    from {{ ref('dim_schools') }}
)

select
    c.school_code,
    c.student_key,
    coalesce(c.school_year, {{ school_year_of('c.collected_on') }}) as school_year,
    c.item,
    c.item_key,
    cast(c.amount as bigint) as amount,
    c.method,
    c.is_cash,
    c.collected_on,
    c.receipt_no,
    s.managing_unit,
    s.district,
    s.school_level,
    c.file_label as source_file,
    c._sheet as source_sheet,
    c._row as source_row,
    c._batch_seq,
    c._row_seq,
    c._checked_at
from collections as c
{{ version_on('schools', 's', 'school_code', 'c.school_code', 'attributed_from', 'c.collected_on') }}
