{#- Suspected over-collections (nghi vấn lạm thu, DOMAIN.md 2.3): a student's net total for
    an item in a school year above the approved maximum of the fee schedule (seed
    fee_schedule: by item, optionally level and khu vực, for a range of school years). -#}
with totals as (
    select
        school_code,
        student_key,
        school_year,
        item_key,
        any_value(item) as item,
        max(school_level) as school_level,
        max(managing_unit) as managing_unit,
        sum(amount) as total_amount,
        count(*) as receipts
    from {{ ref('fct_school_collections') }}
    group by school_code, student_key, school_year, item_key
),

-- The school list carries no khu vực: where the schedule differs by area, a student is
-- compared with the highest maximum of the item and level (flagged only above every area's).
schedule as (
    select
        {{ label_key('khoan_thu') }} as item_key,
        {{ clean_text('cap_hoc') }} as school_level,
        school_year_from,
        school_year_to,
        max(max_per_student) as max_per_student,
        string_agg(distinct source_document, '; ') as source_document
    from {{ ref('fee_schedule') }}
    group by 1, 2, 3, 4
),

matched as (
    select
        t.*,
        s.max_per_student,
        s.source_document,
        -- the most specific schedule row wins (one for the level over one for every level)
        row_number() over (partition by t.school_code, t.student_key, t.school_year, t.item_key
                           order by s.school_level nulls last) as match_rank
    from totals as t
    inner join schedule as s
        on t.item_key = s.item_key
        and (s.school_level is null or s.school_level = t.school_level)
        and t.school_year >= s.school_year_from
        and (s.school_year_to is null or t.school_year <= s.school_year_to)
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
    source_document
from matched
where match_rank = 1 and total_amount > max_per_student
