{#- One row per school and school year: its latest valid self-assessment (DOMAIN.md 2.2 and
    3), with the level of each group computed from the score. -#}
with assessments as (
    select * from {{ ref('int_moet__assessments_checked') }}
    where {{ kept() }}
),

schools as (
    select * from {{ ref('dim_schools') }}
)

select
    a.school_code,
    a.school_year,
    a.assessed_on,
    cast(a.teaching_score as decimal(9, 3)) as teaching_score,
    cast(a.teaching_level as integer) as teaching_level,
    cast(a.management_score as decimal(9, 3)) as management_score,
    cast(a.management_level as integer) as management_level,
    a.teaching_level >= 2 and a.management_level >= 2 as is_level2_both,
    s.managing_unit,
    s.district,
    s.school_level,
    a.file_label as source_file,
    a._sheet as source_sheet,
    a._row as source_row
from assessments as a
{{ version_on('schools', 's', 'school_code', 'a.school_code', 'attributed_from',
               "coalesce(a.assessed_on, date '1900-01-01')") }}
