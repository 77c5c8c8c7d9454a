{#- Submitted components (TaiLieuNop) of the versions that count.
    Incremental (macros/incremental.sql, the portal's dossier chain): the items of the
    dossiers whose latest version was taken again since. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_keys_checked_again(ref('int_portal__dossiers_latest'), 'dossier_key') }}",
        post_hook="{{ drop_rows_built_before('_checked_at') }}"
    )
}}
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
