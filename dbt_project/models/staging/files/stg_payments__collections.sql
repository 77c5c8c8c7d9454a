with source as (
    select * from {{ source('files', 'school_collections') }}
),

methods as (
    select
        alias,
        method,
        is_cash
    from {{ ref('payment_method_aliases') }}
)

select
    {{ file_landing_columns() }},
    {{ received_columns(source('files', 'school_collections')) }}
    upper({{ clean_text('ma_truong') }}) as school_code,
    ma_hoc_sinh_hash as student_key,
    nam_hoc as school_year_raw,
    {{ school_year_key('nam_hoc') }} as school_year,
    {{ clean_text('khoan_thu') }} as item,
    {{ label_key('khoan_thu') }} as item_key,
    so_tien as amount_raw,
    {{ parse_vnd('so_tien') }} as amount,
    {{ clean_text('hinh_thuc_thanh_toan') }} as method_text,
    m.method,
    m.is_cash,
    cast({{ vn_timestamp('ngay_thu') }} as date) as collected_on,
    {{ clean_text('so_bien_lai') }} as receipt_no,
    {{ is_not_nfc("coalesce(khoan_thu, '') || coalesce(hinh_thuc_thanh_toan, '')") }} as had_nfd_text
from source
left join methods as m on {{ label_key('source.hinh_thuc_thanh_toan') }} = m.alias
