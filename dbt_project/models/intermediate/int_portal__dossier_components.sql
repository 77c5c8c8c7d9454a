{#- Submitted components (TaiLieuNop) of the versions that count.
    Incremental: the items of the dossiers whose latest version was taken again since
    (macros/incremental.sql, `dossier_items_config`). -#}
{{ dossier_items_config() }}
{%- set keys = ['MaThanhPhanHoSo', 'TenTepDinhKem', 'DuocSoHoa', 'DuocTaiSuDung', 'DuocLayTuKhoDMQG',
                'MaKetQuaThayThe', 'IsDeleted'] %}
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
),

members as (
    select
        *,
        {{ json_texts('item', keys) }} as _members
    from items
)

select
    dossier_key,
    {{ json_item_not_text('item', keys) }} as item_not_text,
    {{ clean_text(member(keys, 'MaThanhPhanHoSo')) }} as ma_thanh_phan_ho_so,
    {{ portal_flag(member(keys, 'DuocSoHoa')) }} as duoc_so_hoa,
    {{ portal_flag(member(keys, 'DuocTaiSuDung')) }} as duoc_tai_su_dung,
    {{ portal_flag(member(keys, 'DuocLayTuKhoDMQG')) }} as duoc_lay_tu_kho_dmqg,
    {{ clean_text(member(keys, 'MaKetQuaThayThe')) }} as ma_ket_qua_thay_the,
    {{ portal_flag(member(keys, 'IsDeleted')) }} as is_deleted,
    {{ run_time() }} as _checked_at
from members
