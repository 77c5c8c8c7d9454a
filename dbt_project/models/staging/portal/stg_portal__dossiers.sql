{#- Dossier versions as landed: typed, NFC, dates and flags per DOMAIN.md 2.1. Codes keep
    their text as received (their validity is a row rule, checked downstream); nested lists
    stay JSON here and are unnested for the versions that count. A contract field sent as
    anything but text (or a list field as anything but a list) is flagged here. -#}
{%- set text_fields = ['MaHoSo', 'MaTTHC', 'TenTTHC', 'MaLinhVuc', 'TenLinhVuc', 'DonViXuLy', 'KenhThucHien',
                       'TrangThaiHoSo', 'NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra',
                       'NgayTuChoi', 'NgayCapNhat', 'LoaiDoiTuong', 'LaNopHo', 'HoSoCoThanhPhanSoHoa',
                       'TaiKhoanDuocXacThucVoiVNeID', 'DuocThanhToanTrucTuyen', 'DongBoDVCQG'] %}
{%- set list_fields = ['TaiLieuNop', 'DanhSachLePhi', 'DanhSachGiayToKetQua', 'DanhSachHoSoBoSung'] %}
{#- every member the model reads, by its column: one parse of the document a row -#}
{%- set members = [
        ('MaHoSo', 'ma_ho_so_raw'),
        ('MaTTHC', 'ma_tthc_raw'),
        ('TenTTHC', 'ten_tthc_raw'),
        ('TenLinhVuc', 'ten_linh_vuc_raw'),
        ('MaLinhVuc', 'ma_linh_vuc_raw'),
        ('DonViXuLy', 'don_vi_xu_ly_raw'),
        ('KenhThucHien', 'kenh_thuc_hien_raw'),
        ('TrangThaiHoSo', 'trang_thai_ho_so_raw'),
        ('NgayNopHoSo', 'ngay_nop_ho_so_raw'),
        ('NgayTiepNhan', 'ngay_tiep_nhan_raw'),
        ('NgayHenTra', 'ngay_hen_tra_raw'),
        ('NgayKetThucXuLy', 'ngay_ket_thuc_xu_ly_raw'),
        ('NgayTra', 'ngay_tra_raw'),
        ('NgayTuChoi', 'ngay_tu_choi_raw'),
        ('NgayCapNhat', 'ngay_cap_nhat_raw'),
        ('LoaiDoiTuong', 'loai_doi_tuong'),
        ('LaNopHo', 'la_nop_ho_raw'),
        ('HoSoCoThanhPhanSoHoa', 'thanh_phan_so_hoa_raw'),
        ('TaiKhoanDuocXacThucVoiVNeID', 'vneid_raw'),
        ('DuocThanhToanTrucTuyen', 'thanh_toan_truc_tuyen_raw'),
        ('DongBoDVCQG', 'dong_bo_dvcqg_raw'),
        ('SoGiayToChuHoSo_len', 'so_giay_to_len'),
        ('SoGiayToChuHoSo_digits', 'so_giay_to_digits'),
        ('SoDienThoai_present', 'so_dien_thoai_present'),
        ('TaiLieuNop', 'tai_lieu_nop_json'),
        ('DanhSachLePhi', 'le_phi_json'),
        ('DanhSachGiayToKetQua', 'ket_qua_json'),
        ('DanhSachHoSoBoSung', 'bo_sung_json')
] %}
with source as (
    select * from {{ source('portal', 'portal_dossiers') }}
),

extracted as (
    select
        *,
        {{ json_texts('payload', members | map(attribute=0) | list) }} as _members
    from source
),

fields as (
    select
        {{ landing_columns() }},
        {%- for member, column in members %}
        _members[{{ loop.index }}] as {{ column }},
        {%- endfor %}
        (
            {{ json_not_of_type('payload', text_fields) }}
            or {{ json_not_of_type('payload', list_fields, 'ARRAY') }}
        ) as has_non_text_field
    from extracted
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
