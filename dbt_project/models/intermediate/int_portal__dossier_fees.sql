{#- Fees (DanhSachLePhi) of the versions that count. A missing Gia is 0; one that does not
    parse is 0 too, with a warning (DOMAIN.md leaves it open; see docs/decisions.md).
    Incremental: the items of the dossiers whose latest version was taken again since
    (macros/incremental.sql, `dossier_items_config`). -#}
{{ dossier_items_config() }}
{%- set keys = ['MaPhiLePhi', 'TenPhiLePhi', 'Gia', 'HinhThucThu'] %}
with latest as (
    select
        dossier_key,
        le_phi_json
    from {{ ref('int_portal__dossiers_latest') }}
    where {{ since_this() }}
),

items as (
    select
        dossier_key,
        {{ json_array_elements('le_phi_json') }} as item
    from latest
),

members as (
    select
        *,
        {{ json_texts('item', keys) }} as _members
    from items
),

parsed as (
    select
        dossier_key,
        {{ json_item_not_text('item', keys) }} as item_not_text,
        {{ clean_text(member(keys, 'MaPhiLePhi')) }} as ma_phi_le_phi,
        {{ member(keys, 'Gia') }} as gia_raw,
        {{ parse_vnd(member(keys, 'Gia')) }} as gia_parsed
    from members
)

select
    dossier_key,
    item_not_text,
    ma_phi_le_phi,
    gia_raw,
    case when nullif(trim(gia_raw), '') is null then 0 else coalesce(gia_parsed, 0) end as gia,
    (nullif(trim(gia_raw), '') is not null and gia_parsed is null) as gia_invalid,
    {{ run_time() }} as _checked_at
from parsed
