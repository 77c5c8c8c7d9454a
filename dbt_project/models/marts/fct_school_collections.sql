{#- School collections that count (DOMAIN.md 2.3): one row per receipt line, the student
    code pseudonymised (`student_key`), the school attributed to its managing unit and
    district as they stood on Ngày thu. A refund is a negative amount. -#}
{{ config(materialized='table') }}
with collections as (
    select * from {{ ref('int_payments__collections_checked') }}
    where {{ kept() }}
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
    c._row as source_row
from collections as c
{{ version_on('schools', 's', 'school_code', 'c.school_code', 'attributed_from', 'c.collected_on') }}
