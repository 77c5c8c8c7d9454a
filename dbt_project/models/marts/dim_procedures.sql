select
    ma_tthc,
    ten_tthc,
    ma_linh_vuc,
    ten_linh_vuc,
    cap_thuc_hien,
    muc_do,
    du_dieu_kien_dvctt,
    du_dieu_kien_toan_trinh,
    co_phi_le_phi,
    co_thanh_toan_truc_tuyen,
    cong_khai_tren_dvcqg,
    thoi_han_giai_quyet,
    coalesce(co_quan_thuc_hien, 'UNKNOWN') as unit_code,
    ngay_cap_nhat
from {{ ref('int_portal__procedures_current') }}
