{#- Dossier versions as landed: typed, NFC, dates and flags per DOMAIN.md 2.1. Codes keep
    their text as received (their validity is a row rule, checked downstream); nested lists
    stay JSON here and are unnested for the versions that count. A contract field sent as
    anything but text (or a list field as anything but a list) is flagged here. -#}
{%- set text_fields = ['MaHoSo', 'MaTTHC', 'TenTTHC', 'MaLinhVuc', 'TenLinhVuc', 'DonViXuLy', 'KenhThucHien',
                       'TrangThaiHoSo', 'NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra',
                       'NgayTuChoi', 'NgayCapNhat', 'LoaiDoiTuong', 'LaNopHo', 'HoSoCoThanhPhanSoHoa',
                       'TaiKhoanDuocXacThucVoiVNeID', 'DuocThanhToanTrucTuyen', 'DongBoDVCQG'] %}
{%- set list_fields = ['TaiLieuNop', 'DanhSachLePhi', 'DanhSachGiayToKetQua', 'DanhSachHoSoBoSung'] %}
with source as (
    select * from {{ source('portal', 'portal_dossiers') }}
),

fields as (
    select
        {{ landing_columns() }},
        {{ json_text('payload', 'MaHoSo') }} as ma_ho_so_raw,
        {{ json_text('payload', 'MaTTHC') }} as ma_tthc_raw,
        {{ json_text('payload', 'TenTTHC') }} as ten_tthc_raw,
        {{ json_text('payload', 'TenLinhVuc') }} as ten_linh_vuc_raw,
        {{ json_text('payload', 'MaLinhVuc') }} as ma_linh_vuc_raw,
        {{ json_text('payload', 'DonViXuLy') }} as don_vi_xu_ly_raw,
        {{ json_text('payload', 'KenhThucHien') }} as kenh_thuc_hien_raw,
        {{ json_text('payload', 'TrangThaiHoSo') }} as trang_thai_ho_so_raw,
        {{ json_text('payload', 'NgayNopHoSo') }} as ngay_nop_ho_so_raw,
        {{ json_text('payload', 'NgayTiepNhan') }} as ngay_tiep_nhan_raw,
        {{ json_text('payload', 'NgayHenTra') }} as ngay_hen_tra_raw,
        {{ json_text('payload', 'NgayKetThucXuLy') }} as ngay_ket_thuc_xu_ly_raw,
        {{ json_text('payload', 'NgayTra') }} as ngay_tra_raw,
        {{ json_text('payload', 'NgayTuChoi') }} as ngay_tu_choi_raw,
        {{ json_text('payload', 'NgayCapNhat') }} as ngay_cap_nhat_raw,
        {{ json_text('payload', 'LoaiDoiTuong') }} as loai_doi_tuong,
        {{ json_text('payload', 'LaNopHo') }} as la_nop_ho_raw,
        {{ json_text('payload', 'HoSoCoThanhPhanSoHoa') }} as thanh_phan_so_hoa_raw,
        {{ json_text('payload', 'TaiKhoanDuocXacThucVoiVNeID') }} as vneid_raw,
        {{ json_text('payload', 'DuocThanhToanTrucTuyen') }} as thanh_toan_truc_tuyen_raw,
        {{ json_text('payload', 'DongBoDVCQG') }} as dong_bo_dvcqg_raw,
        {{ json_text('payload', 'SoGiayToChuHoSo_len') }} as so_giay_to_len,
        {{ json_text('payload', 'SoGiayToChuHoSo_digits') }} as so_giay_to_digits,
        {{ json_text('payload', 'SoDienThoai_present') }} as so_dien_thoai_present,
        {{ json_text('payload', 'TaiLieuNop') }} as tai_lieu_nop_json,
        {{ json_text('payload', 'DanhSachLePhi') }} as le_phi_json,
        {{ json_text('payload', 'DanhSachGiayToKetQua') }} as ket_qua_json,
        {{ json_text('payload', 'DanhSachHoSoBoSung') }} as bo_sung_json,
        (
            {{ json_not_of_type('payload', text_fields) }}
            or {{ json_not_of_type('payload', list_fields, 'ARRAY') }}
        ) as has_non_text_field
    from source
),

typed as (
    select
        *,
        {{ clean_text('ma_ho_so_raw') }} as ma_ho_so,
        {{ clean_text('ma_tthc_raw') }} as ma_tthc,
        {{ clean_text('ten_tthc_raw') }} as ten_tthc,
        {{ clean_text('ma_linh_vuc_raw') }} as ma_linh_vuc,
        {{ clean_text('ten_linh_vuc_raw') }} as ten_linh_vuc,
        {{ clean_text('don_vi_xu_ly_raw') }} as don_vi_xu_ly,
        kenh_thuc_hien_raw as kenh_thuc_hien,
        trang_thai_ho_so_raw as trang_thai_ho_so,
        {{ portal_ts('ngay_nop_ho_so_raw') }} as ngay_nop_ho_so,
        {{ portal_ts('ngay_tiep_nhan_raw') }} as ngay_tiep_nhan,
        {{ portal_ts('ngay_hen_tra_raw') }} as ngay_hen_tra,
        {{ portal_ts('ngay_ket_thuc_xu_ly_raw') }} as ngay_ket_thuc_xu_ly,
        {{ portal_ts('ngay_tra_raw') }} as ngay_tra,
        {{ portal_ts('ngay_tu_choi_raw') }} as ngay_tu_choi,
        {{ portal_ts('ngay_cap_nhat_raw') }} as ngay_cap_nhat,
        {{ portal_flag('la_nop_ho_raw') }} as la_nop_ho,
        {{ portal_flag('thanh_phan_so_hoa_raw') }} as ho_so_co_thanh_phan_so_hoa,
        {{ portal_flag('vneid_raw') }} as xac_thuc_vneid,
        thanh_toan_truc_tuyen_raw as thanh_toan_truc_tuyen,
        {{ portal_flag('dong_bo_dvcqg_raw') }} as dong_bo_dvcqg,
        (
            {{ portal_ts_invalid('ngay_nop_ho_so_raw') }}
            or {{ portal_ts_invalid('ngay_tiep_nhan_raw') }}
            or {{ portal_ts_invalid('ngay_hen_tra_raw') }}
            or {{ portal_ts_invalid('ngay_ket_thuc_xu_ly_raw') }}
            or {{ portal_ts_invalid('ngay_tra_raw') }}
            or {{ portal_ts_invalid('ngay_tu_choi_raw') }}
        ) as has_invalid_date,
        (
            {{ is_not_nfc('ma_ho_so_raw') }} or {{ is_not_nfc('ten_tthc_raw') }}
            or {{ is_not_nfc('ten_linh_vuc_raw') }} or {{ is_not_nfc('don_vi_xu_ly_raw') }}
        ) as had_nfd_text
    from fields
)

select * from typed
