with source as (
    select * from {{ source('files', 'moet_schools') }}
)

select
    {{ file_landing_columns() }},
    {{ received_columns(source('files', 'moet_schools')) }}
    upper({{ clean_text('ma_truong') }}) as school_code,
    {{ clean_text('ten_truong') }} as school_name,
    {{ clean_text('cap_hoc') }} as school_level,
    {{ clean_text('loai_hinh') }} as school_type,
    {{ clean_text('don_vi_quan_ly') }} as managing_unit,
    {{ clean_text('huyen') }} as district,
    {{ clean_text('xa') }} as commune,
    try_cast(replace(replace(trim(so_hoc_sinh), '.', ''), ',', '') as integer) as students,
    try_cast(replace(replace(trim(so_giao_vien), '.', ''), ',', '') as integer) as teachers,
    {{ clean_text('trang_thai') }} as school_status,
    {{ is_not_nfc("coalesce(ten_truong, '') || coalesce(cap_hoc, '') || coalesce(don_vi_quan_ly, '') "
                  "|| coalesce(huyen, '') || coalesce(xa, '')") }} as had_nfd_text
from source
