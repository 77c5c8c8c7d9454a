{#- Supplement requests (DanhSachHoSoBoSung) of the versions that count.
    Incremental: the items of the dossiers whose latest version was taken again since
    (macros/incremental.sql, `dossier_items_config`). -#}
{{ dossier_items_config() }}
{%- set keys = ['NgayYeuCauBoSung', 'NgayTiepNhanBoSung'] %}
with latest as (
    select
        dossier_key,
        bo_sung_json
    from {{ ref('int_portal__dossiers_latest') }}
    where {{ since_this() }}
),

items as (
    select
        dossier_key,
        {{ json_array_elements('bo_sung_json') }} as item
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
    {{ portal_ts(member(keys, 'NgayYeuCauBoSung')) }} as ngay_yeu_cau_bo_sung,
    {{ portal_ts(member(keys, 'NgayTiepNhanBoSung')) }} as ngay_tiep_nhan_bo_sung,
    (
        {{ portal_ts_invalid(member(keys, 'NgayYeuCauBoSung')) }}
        or {{ portal_ts_invalid(member(keys, 'NgayTiepNhanBoSung')) }}
    ) as has_invalid_date,
    {{ run_time() }} as _checked_at
from members
