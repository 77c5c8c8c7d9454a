{#- Result documents (DanhSachGiayToKetQua) of the versions that count. -#}
with latest as (
    select dossier_key, payload from {{ ref('int_portal__dossiers_latest') }}
    where is_object
),

items as (
    select dossier_key, {{ json_unnest('payload', 'DanhSachGiayToKetQua') }} as item
    from latest
)

select
    dossier_key,
    {{ clean_text(json_text('item', 'MaGiayToKetQua')) }} as ma_giay_to_ket_qua,
    {{ clean_text(json_text('item', 'DuongDanTepTinKetQua')) }} is not null as has_file_link
from items
