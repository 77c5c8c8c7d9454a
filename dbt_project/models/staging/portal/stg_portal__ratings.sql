with source as (
    select * from {{ source('portal', 'portal_ratings') }}
),

renamed as (
    select
        _batch_id,
        _batch_seq,
        _row_seq,
        _batch_seq * 1000000000 + _row_seq as _landing_seq,
        _loaded_at,
        _source,
        _page,
        _row,
        payload,
        {{ fingerprint('payload') }} as payload_hash,
        coalesce(json_valid(payload) and json_type(payload) = 'OBJECT', false) as is_object,
        {{ clean_text(json_text('payload', 'MaDanhGia')) }} as ma_danh_gia,
        {{ clean_text(json_text('payload', 'MaHoSo')) }} as ma_ho_so,
        {{ json_text('payload', 'NgayDanhGia') }} as ngay_danh_gia_raw,
        {{ portal_ts(json_text('payload', 'NgayDanhGia')) }} as ngay_danh_gia,
        trim({{ json_text('payload', 'MucDoHaiLong') }}) as muc_do_hai_long
    from source
)

select * from renamed
