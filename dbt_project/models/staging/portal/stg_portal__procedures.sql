with source as (
    select * from {{ source('portal', 'portal_procedures') }}
),

renamed as (
    select
        {{ clean_text(json_text('payload', 'MaTTHC')) }} as ma_tthc,
        {{ clean_text(json_text('payload', 'TenTTHC')) }} as ten_tthc,
        {{ clean_text(json_text('payload', 'MaLinhVuc')) }} as ma_linh_vuc,
        {{ clean_text(json_text('payload', 'TenLinhVuc')) }} as ten_linh_vuc,
        {{ json_text('payload', 'CapThucHien') }} as cap_thuc_hien,
        {{ json_text('payload', 'MucDo') }} as muc_do,
        {{ portal_flag(json_text('payload', 'DuDieuKienDVCTT')) }} as du_dieu_kien_dvctt,
        {{ portal_flag(json_text('payload', 'DuDieuKienToanTrinh')) }} as du_dieu_kien_toan_trinh,
        {{ portal_flag(json_text('payload', 'CoPhiLePhi')) }} as co_phi_le_phi,
        {{ portal_flag(json_text('payload', 'CoThanhToanTrucTuyen')) }} as co_thanh_toan_truc_tuyen,
        {{ portal_flag(json_text('payload', 'CongKhaiTrenDVCQG')) }} as cong_khai_tren_dvcqg,
        try_cast(trim({{ json_text('payload', 'ThoiHanGiaiQuyet') }}) as integer) as thoi_han_giai_quyet,
        {{ clean_text(json_text('payload', 'CoQuanThucHien')) }} as co_quan_thuc_hien,
        {{ portal_ts(json_text('payload', 'NgayCapNhat')) }} as ngay_cap_nhat,
        {{ landing_columns() }}
    from source
)

select * from renamed
