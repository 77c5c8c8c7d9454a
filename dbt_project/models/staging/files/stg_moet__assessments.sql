with source as (
    select * from {{ source('files', 'moet_assessments') }}
)

select
    {{ file_landing_columns() }},
    {{ received_columns(source('files', 'moet_assessments')) }}
    upper({{ clean_text('ma_truong') }}) as school_code,
    nam_hoc as school_year_raw,
    {{ school_year_key('nam_hoc') }} as school_year,
    {{ vn_decimal('diem_day_hoc') }} as teaching_score,
    {{ vn_decimal('diem_quan_tri') }} as management_score,
    try_cast(regexp_extract(muc_day_hoc, '([0-9])', 1) as integer) as teaching_level_label,
    try_cast(regexp_extract(muc_quan_tri, '([0-9])', 1) as integer) as management_level_label,
    cast({{ vn_timestamp('ngay_danh_gia') }} as date) as assessed_on,
    {{ vn_timestamp_invalid('ngay_danh_gia') }} as assessed_on_invalid
from source
