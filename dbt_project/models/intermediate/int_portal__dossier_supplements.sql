{#- Supplement requests (DanhSachHoSoBoSung) of the versions that count. -#}
with latest as (
    select
        dossier_key,
        bo_sung_json
    from {{ ref('int_portal__dossiers_latest') }}
),

items as (
    select
        dossier_key,
        {{ json_array_elements('bo_sung_json') }} as item
    from latest
)

select
    dossier_key,
    {{ json_item_not_text('item', ['NgayYeuCauBoSung', 'NgayTiepNhanBoSung']) }} as item_not_text,
    {{ portal_ts(json_text('item', 'NgayYeuCauBoSung')) }} as ngay_yeu_cau_bo_sung,
    {{ portal_ts(json_text('item', 'NgayTiepNhanBoSung')) }} as ngay_tiep_nhan_bo_sung,
    (
        {{ portal_ts_invalid(json_text('item', 'NgayYeuCauBoSung')) }}
        or {{ portal_ts_invalid(json_text('item', 'NgayTiepNhanBoSung')) }}
    ) as has_invalid_date
from items
