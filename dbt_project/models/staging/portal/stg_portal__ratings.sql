with source as (
    select * from {{ source('portal', 'portal_ratings') }}
),

renamed as (
    select
        {{ landing_columns() }},
        {{ clean_text(json_text('payload', 'MaDanhGia')) }} as ma_danh_gia,
        {{ clean_text(json_text('payload', 'MaHoSo')) }} as ma_ho_so,
        {{ json_text('payload', 'NgayDanhGia') }} as ngay_danh_gia_raw,
        {{ portal_ts(json_text('payload', 'NgayDanhGia')) }} as ngay_danh_gia,
        {{ json_text('payload', 'MucDoHaiLong') }} as muc_do_hai_long,
        {{ json_not_of_type('payload', ['MaDanhGia', 'MaHoSo', 'NgayDanhGia', 'MucDoHaiLong']) }}
            as has_non_text_field
    from source
)

select * from renamed
