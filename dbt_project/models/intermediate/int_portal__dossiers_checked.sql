{#- The latest version of each dossier with the row rules of DOMAIN.md 3a applied and the
    dossier-level flags the KPIs use. `reason_codes` lists every rule broken, in the order
    DOMAIN.md gives them; `reason_code` is the first. Empty means the dossier counts.

    Incremental (macros/incremental.sql, the portal's dossier chain): the dossiers whose
    latest version was taken again since, replaced by key; a changed procedure catalogue
    (the digest of what the rules take from it, `_catalogue_digest`) checks every dossier
    again. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='dossier_key',
        on_schema_change='append_new_columns'
    )
}}
{#- the nested lists' JSON text (`*_json`) is read by the item models; a checked dossier
    carries what they found, not the text (it was a third copy of it at 1 M dossiers) -#}
{%- set catalogue_digest = relation_digest(
    ref('int_portal__procedures_current'), ['ma_tthc', 'muc_do', 'du_dieu_kien_toan_trinh']
) %}
{%- set nested = [] %}
{%- for col in adapter.get_columns_in_relation(ref('int_portal__dossiers_latest')) %}
    {%- if col.name.endswith('_json') %}{% do nested.append(col.name) %}{% endif %}
{%- endfor %}
with catalogue as (
    select
        ma_tthc,
        muc_do,
        du_dieu_kien_toan_trinh
    from {{ ref('int_portal__procedures_current') }}
),

catalogue_digest as (
    select {{ catalogue_digest }} as digest
),

latest as (
    select {{ star_except(ref('int_portal__dossiers_latest'), ['_checked_at'] + nested) }}
    from {{ ref('int_portal__dossiers_latest') }}
    {#- a changed catalogue: every dossier (macros/incremental.sql, `digest_changed`) #}
    {% if incremental_over(['_checked_at', '_catalogue_digest'])
        and not digest_changed(catalogue_digest, '_catalogue_digest') %}
    where {{ since_this() }}
    {% endif %}
),

components as (
    select
        dossier_key,
        bool_or(item_not_text) as item_not_text,
        bool_or(not is_deleted and (duoc_tai_su_dung or duoc_lay_tu_kho_dmqg)) as has_reused_component,
        count(*) filter (where not is_deleted and ma_ket_qua_thay_the is not null) as replaceable_components,
        count(*) filter (
            where not is_deleted and ma_ket_qua_thay_the is not null
            and (duoc_tai_su_dung or duoc_lay_tu_kho_dmqg)
        ) as replaceable_reused
    from {{ ref('int_portal__dossier_components') }}
    where dossier_key in (select dossier_key from latest)
    group by dossier_key
),

fees as (
    select
        dossier_key,
        sum(gia) as fee_total,
        bool_or(gia_invalid) as fee_invalid,
        bool_or(item_not_text) as item_not_text
    from {{ ref('int_portal__dossier_fees') }}
    where dossier_key in (select dossier_key from latest)
    group by dossier_key
),

results as (
    select
        dossier_key,
        bool_or(has_file_link) as has_electronic_result,
        bool_or(item_not_text) as item_not_text
    from {{ ref('int_portal__dossier_results') }}
    where dossier_key in (select dossier_key from latest)
    group by dossier_key
),

supplements as (
    select
        s.dossier_key,
        bool_or(s.has_invalid_date) as has_invalid_date,
        bool_or(s.item_not_text) as item_not_text,
        -- Waiting time: answered requests run to their answer, unanswered ones to the end
        -- of processing; a negative duration counts as zero (DOMAIN.md 3, "On time").
        sum(greatest(0, coalesce({{ seconds_between(
            's.ngay_yeu_cau_bo_sung', 'coalesce(s.ngay_tiep_nhan_bo_sung, l.ngay_ket_thuc_xu_ly)') }}, 0)))
            as waiting_seconds
    from {{ ref('int_portal__dossier_supplements') }} as s
    inner join latest as l on s.dossier_key = l.dossier_key
    group by s.dossier_key
),

joined as (
    select
        l.*,
        c.ma_tthc is not null as procedure_known,
        c.muc_do as procedure_muc_do,
        coalesce(c.du_dieu_kien_toan_trinh, false) as procedure_toan_trinh,
        coalesce(f.fee_total, 0) as fee_total,
        coalesce(f.fee_invalid, false) as fee_invalid,
        coalesce(r.has_electronic_result, false) as has_electronic_result,
        coalesce(cp.has_reused_component, false) as has_reused_component,
        coalesce(cp.replaceable_components, 0) as replaceable_components,
        coalesce(cp.replaceable_reused, 0) as replaceable_reused,
        coalesce(s.has_invalid_date, false) as supplement_date_invalid,
        coalesce(s.waiting_seconds, 0) as waiting_seconds,
        coalesce(l.has_non_text_field, false) or coalesce(f.item_not_text, false) or coalesce(r.item_not_text, false)
        or coalesce(cp.item_not_text, false) or coalesce(s.item_not_text, false) as has_non_text_field_any
    from latest as l
    left join catalogue as c on l.ma_tthc = c.ma_tthc
    left join fees as f on l.dossier_key = f.dossier_key
    left join results as r on l.dossier_key = r.dossier_key
    left join components as cp on l.dossier_key = cp.dossier_key
    left join supplements as s on l.dossier_key = s.dossier_key
),

checked as (
    select
        *,
        concat_ws(
            ';',
            case when not is_object then 'record_not_object' end,
            case when is_object and has_non_text_field_any then 'field_not_text' end,
            case when ma_ho_so is null then 'dossier_code_missing' end,
            case when don_vi_xu_ly is not null and not {{ is_unit_code('don_vi_xu_ly') }} then 'unit_code_invalid' end,
            case when ngay_cap_nhat is null then 'updated_at_invalid' end,
            case when not procedure_known then 'procedure_unknown' end,
            case when kenh_thuc_hien is null or kenh_thuc_hien not in ('1', '2', '3') then 'channel_invalid' end,
            case when trang_thai_ho_so is null
                    or trang_thai_ho_so not in ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10')
                    then 'status_invalid'
            end,
            case when has_invalid_date or supplement_date_invalid then 'date_invalid' end,
            case when trang_thai_ho_so in ('2', '4', '5', '6', '7', '8', '9', '10')
                    and ngay_tiep_nhan is null and not {{ portal_ts_invalid('ngay_tiep_nhan_raw') }}
                    then 'received_date_missing'
            end,
            case when ngay_tiep_nhan < ngay_nop_ho_so then 'received_before_submitted' end,
            case when ngay_ket_thuc_xu_ly < ngay_tiep_nhan then 'ended_before_received' end,
            case when trang_thai_ho_so in ('9', '10') and ngay_ket_thuc_xu_ly is null
                    and not {{ portal_ts_invalid('ngay_ket_thuc_xu_ly_raw') }}
                    then 'ended_date_missing'
            end
        ) as reason_codes,
        concat_ws(
            ';',
            case when coalesce(so_giay_to_len, '0') <> '0'
                    and (so_giay_to_len not in ('9', '12') or so_giay_to_digits <> '1') then 'id_number_length'
            end,
            case when so_dien_thoai_present = '0' then 'phone_missing' end,
            case when had_nfd_text then 'text_not_nfc' end,
            case when fee_invalid then 'fee_amount_invalid' end
        ) as warning_codes
    from joined
)

select
    *,
    {{ kept(none) }} as is_kept,
    nullif(split_part(reason_codes, ';', 1), '') as reason_code,
    -- DOMAIN.md 3: received when NgayTiepNhan is in the period and the status is not 1 or 3.
    (trang_thai_ho_so not in ('1', '3') and ngay_tiep_nhan is not null) as is_received,
    -- Ended when the status is 9 or 10; NgayKetThucXuLy places it in a period.
    (trang_thai_ho_so in ('9', '10') and ngay_ket_thuc_xu_ly is not null) as is_ended,
    kenh_thuc_hien = '2' as is_online,
    thanh_toan_truc_tuyen in ('1', '2') as paid_online_flag,
    case when ngay_hen_tra is not null then {{ add_seconds('ngay_hen_tra', 'waiting_seconds') }} end
        as effective_deadline,
    (
        ngay_hen_tra is null
        or ngay_ket_thuc_xu_ly <= {{ add_seconds('ngay_hen_tra', 'waiting_seconds') }}
    ) as is_on_time,
    {{ run_time() }} as _checked_at,
    (select digest from catalogue_digest) as _catalogue_digest
from checked
