{#- Supplement requests (DanhSachHoSoBoSung) of the versions that count. -#}
with latest as (
    select dossier_key, payload from {{ ref('int_portal__dossiers_latest') }}
    where is_object
),

items as (
    select dossier_key, {{ json_unnest('payload', 'DanhSachHoSoBoSung') }} as item
    from latest
)

select
    dossier_key,
    {{ portal_ts(json_text('item', 'NgayYeuCauBoSung')) }} as ngay_yeu_cau_bo_sung,
    {{ portal_ts(json_text('item', 'NgayTiepNhanBoSung')) }} as ngay_tiep_nhan_bo_sung,
    (
        {{ portal_ts_invalid(json_text('item', 'NgayYeuCauBoSung')) }}
        or {{ portal_ts_invalid(json_text('item', 'NgayTiepNhanBoSung')) }}
    ) as has_invalid_date
from items
