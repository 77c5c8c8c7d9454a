{#- Suspected over-collections (nghi vấn lạm thu, DOMAIN.md 2.3): a student's net total for
    an item in a school year above the approved maximum of the fee schedule (seed
    fee_schedule: by item, optionally level and khu vực, for a range of school years). The
    school's level and managing unit are those of 1 September of the school year (its first
    version when it is listed only later).

    Incremental (docs/decisions.md, "Cost that grows with what is new"): the schools whose
    collection rows were checked since this table's newest (`_checked_at`) are dropped (a
    pre-hook) and summed again; a changed fee schedule or school attribute (the digest of
    what this model reads of them, `_inputs_digest`) drops every row, so every school is
    summed again. The bookkeeping columns (`_…`) are not published. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_keys_checked_again(ref('int_payments__collections_checked'), 'school_code',
                                            stale=over_collection_inputs_changed()) }}",
        post_hook="{{ drop_rows_built_before('_checked_at') }}"
    )
}}
-- The school list carries no khu vực: where the schedule differs by area, a student is
-- compared with the highest maximum of the item and level (flagged only above every area's).
with schedule as (
    select
        {{ label_key('khoan_thu') }} as item_key,
        any_value(khoan_thu) as item,
        {{ clean_text('cap_hoc') }} as school_level,
        school_year_from,
        school_year_to,
        max(max_per_student) as max_per_student,
        string_agg(distinct source_document, '; ') as source_document
    from {{ ref('fee_schedule') }}
    group by {{ label_key('khoan_thu') }}, {{ clean_text('cap_hoc') }}, school_year_from, school_year_to
),

scheduled_items as (
    select distinct item_key from schedule
),

-- only the items the schedule names, summed with the leanest keys
totals as (
    select
        c.school_code,
        c.student_key,
        c.school_year,
        c.item_key,
        sum(c.amount) as total_amount,
        count(*) as receipts
    from {{ ref('fct_school_collections') }} as c
    inner join scheduled_items as i on c.item_key = i.item_key
    where
        c.school_code in (
            select school_code from {{ ref('int_payments__collections_checked') }}
            where {{ since_this() }}
        )
    group by c.school_code, c.student_key, c.school_year, c.item_key
),

schools as (
    select * from {{ ref('dim_schools') }}
),

with_school as (
    select
        t.*,
        s.school_level,
        s.managing_unit
    from totals as t
    {{ version_on('schools', 's', 'school_code', 't.school_code', 'attributed_from',
                  school_year_start('t.school_year')) }}
),

-- the schedule row for the school's level, else the one for every level (the seed holds
-- one row per item, level and school-year range)
matched as (
    select
        t.*,
        coalesce(by_level.item, any_level.item) as item,
        coalesce(by_level.max_per_student, any_level.max_per_student) as max_per_student,
        coalesce(by_level.source_document, any_level.source_document) as source_document
    from with_school as t
    left join schedule as by_level
        on t.item_key = by_level.item_key and t.school_level = by_level.school_level
            and t.school_year >= by_level.school_year_from
            and (by_level.school_year_to is null or t.school_year <= by_level.school_year_to)
    left join schedule as any_level
        on t.item_key = any_level.item_key and any_level.school_level is null
            and t.school_year >= any_level.school_year_from
            and (any_level.school_year_to is null or t.school_year <= any_level.school_year_to)
)

select
    school_code,
    managing_unit,
    school_level,
    school_year,
    item,
    student_key,
    cast(total_amount as bigint) as total_amount,
    max_per_student,
    cast(total_amount - max_per_student as bigint) as excess_amount,
    cast(receipts as integer) as receipts,
    source_document,
    {{ over_collection_inputs() }} as _inputs_digest,
    {{ run_time() }} as _checked_at
from matched
where total_amount > max_per_student
