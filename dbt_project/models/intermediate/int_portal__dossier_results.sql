{#- Result documents (DanhSachGiayToKetQua) of the versions that count.
    Incremental: the items of the dossiers whose latest version was taken again since
    (macros/incremental.sql, `dossier_items_config`). -#}
{{ dossier_items_config() }}
{%- set keys = ['MaGiayToKetQua', 'TenGiayTo', 'DuongDanTepTinKetQua'] %}
with latest as (
    select
        dossier_key,
        ket_qua_json
    from {{ ref('int_portal__dossiers_latest') }}
    where {{ since_this() }}
),

items as (
    select
        dossier_key,
        {{ json_array_elements('ket_qua_json') }} as item
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
    {{ clean_text(member(keys, 'MaGiayToKetQua')) }} as ma_giay_to_ket_qua,
    {{ clean_text(member(keys, 'DuongDanTepTinKetQua')) }} is not null as has_file_link,
    {{ run_time() }} as _checked_at
from members
