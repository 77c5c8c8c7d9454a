{#- Danh mục TTHC as landed: a catalogue has no row rules (DOMAIN.md 3a), so a field sent
    as anything but text reads as missing, never as its JSON text. -#}
with source as (
    select * from {{ source('portal', 'portal_procedures') }}
),

renamed as (
    select
        {{ clean_text(json_string('payload', 'MaTTHC')) }} as ma_tthc,
        {{ clean_text(json_string('payload', 'TenTTHC')) }} as ten_tthc,
        {{ clean_text(json_string('payload', 'MaLinhVuc')) }} as ma_linh_vuc,
        {{ clean_text(json_string('payload', 'TenLinhVuc')) }} as ten_linh_vuc,
        {{ json_string('payload', 'CapThucHien') }} as cap_thuc_hien,
        {{ json_string('payload', 'MucDo') }} as muc_do,
        {{ portal_flag(json_string('payload', 'DuDieuKienDVCTT')) }} as du_dieu_kien_dvctt,
        {{ portal_flag(json_string('payload', 'DuDieuKienToanTrinh')) }} as du_dieu_kien_toan_trinh,
        {{ portal_flag(json_string('payload', 'CoPhiLePhi')) }} as co_phi_le_phi,
        {{ portal_flag(json_string('payload', 'CoThanhToanTrucTuyen')) }} as co_thanh_toan_truc_tuyen,
        {{ portal_flag(json_string('payload', 'CongKhaiTrenDVCQG')) }} as cong_khai_tren_dvcqg,
        try_cast(trim({{ json_string('payload', 'ThoiHanGiaiQuyet') }}) as integer) as thoi_han_giai_quyet,
        {{ clean_text(json_string('payload', 'CoQuanThucHien')) }} as co_quan_thuc_hien,
        {{ portal_ts(json_string('payload', 'NgayCapNhat')) }} as ngay_cap_nhat,
        {{ landing_columns() }}
    from source
)

select * from renamed
