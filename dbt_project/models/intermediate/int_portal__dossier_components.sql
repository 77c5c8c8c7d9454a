{#- Submitted components (TaiLieuNop) of the versions that count.
    Incremental: the items of the dossiers whose latest version was taken again since
    (macros/incremental.sql, `dossier_items_config`). -#}
{{ dossier_items_config() }}
with latest as (
    select
        dossier_key,
        tai_lieu_nop_json
    from {{ ref('int_portal__dossiers_latest') }}
    where {{ since_this() }}
),

items as (
    select
        dossier_key,
        {{ json_array_elements('tai_lieu_nop_json') }} as item
    from latest
)

select
    dossier_key,
    {{ json_item_not_text('item', ['MaThanhPhanHoSo', 'TenTepDinhKem', 'DuocSoHoa', 'DuocTaiSuDung',
                                   'DuocLayTuKhoDMQG', 'MaKetQuaThayThe', 'IsDeleted']) }} as item_not_text,
    {{ clean_text(json_text('item', 'MaThanhPhanHoSo')) }} as ma_thanh_phan_ho_so,
    {{ portal_flag(json_text('item', 'DuocSoHoa')) }} as duoc_so_hoa,
    {{ portal_flag(json_text('item', 'DuocTaiSuDung')) }} as duoc_tai_su_dung,
    {{ portal_flag(json_text('item', 'DuocLayTuKhoDMQG')) }} as duoc_lay_tu_kho_dmqg,
    {{ clean_text(json_text('item', 'MaKetQuaThayThe')) }} as ma_ket_qua_thay_the,
    {{ portal_flag(json_text('item', 'IsDeleted')) }} as is_deleted,
    {{ run_time() }} as _checked_at
from items
