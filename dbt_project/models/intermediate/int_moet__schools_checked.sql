{#- School-list rows with the row rules applied (DOMAIN.md 3a; the school list's own rules
    are this project's reading, docs/decisions.md): a row without a school code, and the
    same code twice in one list with different content (both copies), are quarantined.
    Rows of superseded files and exact copies within a list are set aside. -#}
with rows as (
    select
        {{ staged_columns('s', ref('stg_moet__schools')) }},
        f.file_label,
        f.as_of_date,
        f.is_current,
        md5(concat_ws(
            '|', s.school_code, s.school_name, s.school_level, s.school_type, s.managing_unit,
            s.district, s.commune, s.students, s.teachers, s.school_status
        )) as content_hash
    from {{ ref('stg_moet__schools') }} as s
    inner join {{ ref('int_files__rows') }} as f using (_batch_id)
),

variants as (
    select
        _batch_id,
        school_code,
        count(distinct content_hash) as n_variants
    from rows
    where is_current and school_code is not null
    group by _batch_id, school_code
),

ranked as (
    select
        r.*,
        coalesce(v.n_variants, 1) as n_variants,
        row_number() over (partition by r._batch_id, r.school_code, r.content_hash order by r._row_seq) as copy_rank
    from rows as r
    left join variants as v on r._batch_id = v._batch_id and r.school_code = v.school_code
)

select
    *,
    case
        when not is_current then 'file_superseded'
        when school_code is not null and n_variants = 1 and copy_rank > 1 then 'exact_duplicate'
    end as set_aside_reason,
    concat_ws(
        ';',
        case when school_code is null then 'school_code_missing' end,
        case when school_code is not null and not {{ is_unit_code('school_code') }} then 'school_code_invalid' end,
        case when school_code is not null and n_variants > 1 then 'school_conflict' end
    ) as reason_codes
from ranked
