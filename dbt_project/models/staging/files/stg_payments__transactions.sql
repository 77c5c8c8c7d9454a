with source as (
    select * from {{ source('files', 'payment_transactions') }}
),

statuses as (
    select
        alias,
        status
    from {{ ref('payment_status_aliases') }}
)

select
    {{ file_landing_columns() }},
    {{ received_columns(source('files', 'payment_transactions')) }}
    {{ clean_text('ma_giao_dich') }} as transaction_code,
    {{ clean_text('ma_ho_so') }} as dossier_code,
    {{ clean_text('ma_tthc') }} as procedure_code,
    so_tien as amount_raw,
    {{ parse_vnd('so_tien') }} as amount,
    {{ clean_text('trang_thai') }} as status_text,
    st.status,
    {{ clean_text('kenh_thanh_toan') }} as payment_channel,
    {{ clean_text('ngan_hang') }} as bank,
    {{ vn_timestamp('thoi_gian_giao_dich') }} as paid_at,
    {{ vn_timestamp_invalid('thoi_gian_giao_dich') }} as paid_at_invalid,
    {{ is_not_nfc("coalesce(trang_thai, '') || coalesce(kenh_thanh_toan, '') || coalesce(ngan_hang, '')") }}
        as had_nfd_text
from source
left join statuses as st on {{ label_key('source.trang_thai') }} = st.alias
