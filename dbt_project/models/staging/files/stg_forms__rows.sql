{#- The units' report forms as landed (DOMAIN.md 7): each row with its form's block parsed
    (unit code, period key, report date) and, for a table row, its indicator and numbers
    (whole numbers written as in 2.3; null when they do not parse, with the text kept). -#}
with source as (
    select * from {{ source('files', 'unit_forms') }}
)

select
    {{ file_landing_columns() }},
    {{ received_columns(source('files', 'unit_forms')) }}
    case when label is not null then 'block' else 'indicator' end as row_kind,
    label as block_field,
    {{ clean_text('value') }} as block_value,
    upper({{ clean_text('ma_don_vi') }}) as unit_code,
    upper({{ clean_text('ky_bao_cao') }}) as period_key,
    {{ clean_text('ngay_bao_cao') }} as report_date_raw,
    cast({{ vn_timestamp('ngay_bao_cao') }} as date) as report_date,
    lower({{ clean_text('ma_chi_tieu') }}) as indicator_code,
    {{ clean_text('tu_so') }} as numerator_raw,
    {{ parse_whole('tu_so') }} as numerator,
    {{ clean_text('mau_so') }} as denominator_raw,
    {{ parse_whole('mau_so') }} as denominator
from source
