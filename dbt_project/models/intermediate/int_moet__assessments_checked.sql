{#- Digital-transformation self-assessments with the row rules of DOMAIN.md 3a: a score
    missing or outside 0-100 (a decimal comma is a decimal), an unknown school; and, as
    this project reads the contract, a row without a school year or with a date that does
    not parse (it could fall in no school year, or not be ordered). Among the valid rows of
    a school and school year, the latest by Ngày đánh giá counts; the others are set aside,
    as are rows of superseded files and exact copies. -#}
with rows as (
    select
        {{ staged_columns('a', ref('stg_moet__assessments')) }},
        f.file_label,
        f.is_current,
        md5(concat_ws(
            '|', a.school_code, a.school_year, a.teaching_score, a.management_score,
            a.teaching_level_label, a.management_level_label, a.assessed_on
        )) as content_hash
    from {{ ref('stg_moet__assessments') }} as a
    inner join {{ ref('int_files__rows') }} as f using (_batch_id)
),

schools as (
    select school_code from {{ ref('int_moet__school_list') }}
),

checked as (
    select
        r.*,
        row_number() over (partition by r.is_current, r.content_hash order by r._batch_seq, r._row_seq) as copy_rank,
        concat_ws(
            ';',
            case when r.school_code is null then 'school_code_missing'
                when not {{ is_unit_code('r.school_code') }} then 'school_code_invalid'
                when s.school_code is null then 'school_unknown'
            end,
            case when r.teaching_score is null or r.management_score is null
                    or r.teaching_score not between 0 and 100 or r.management_score not between 0 and 100
                    then 'assessment_score_invalid'
            end,
            case when r.school_year is null then 'school_year_invalid' end,
            case when r.assessed_on_invalid then 'assessment_date_invalid' end
        ) as reason_codes
    from rows as r
    left join schools as s on r.school_code = s.school_code
),

first_pass as (
    select
        *,
        case
            when not is_current then 'file_superseded'
            when copy_rank > 1 then 'exact_duplicate'
        end as early_set_aside
    from checked
),

latest as (
    select
        *,
        row_number() over (
            partition by school_code, school_year
            order by assessed_on desc nulls last, _batch_seq desc, _row_seq desc
        ) as assessment_rank
    from first_pass
    where {{ kept('early_set_aside') }}
)

select
    f.* exclude (early_set_aside),
    coalesce(f.early_set_aside, case when l.assessment_rank > 1 then 'assessment_superseded' end) as set_aside_reason,
    {{ dt_level('f.teaching_score') }} as teaching_level,
    {{ dt_level('f.management_score') }} as management_level
from first_pass as f
left join latest as l on f._batch_seq = l._batch_seq and f._row_seq = l._row_seq
