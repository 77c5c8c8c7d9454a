{#- Result documents (DanhSachGiayToKetQua) of the versions that count.
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
