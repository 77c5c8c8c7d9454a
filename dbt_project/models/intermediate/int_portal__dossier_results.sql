{#- Result documents (DanhSachGiayToKetQua) of the versions that count.
    Incremental: the items of the dossiers whose latest version was taken again since
    (macros/incremental.sql, `dossier_items_config`). -#}
{{ dossier_items_config() }}
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
)

select
    dossier_key,
    {{ json_item_not_text('item', ['MaGiayToKetQua', 'TenGiayTo', 'DuongDanTepTinKetQua']) }} as item_not_text,
    {{ clean_text(json_text('item', 'MaGiayToKetQua')) }} as ma_giay_to_ket_qua,
    {{ clean_text(json_text('item', 'DuongDanTepTinKetQua')) }} is not null as has_file_link,
    {{ run_time() }} as _checked_at
from items
