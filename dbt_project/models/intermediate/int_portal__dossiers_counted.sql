{#- The dossiers that count (the latest version of each MaHoSo that breaks no row rule),
    with every flag the KPIs, the Decision 766 indicators and the reports use. fct_dossiers
    publishes it; int_kpi_daily and int_766_daily count from it.

    Incremental (macros/incremental.sql, the portal's dossier chain): the pre-hook drops the
    dossiers checked again since and those whose payment flag changed; the run inserts every
    dossier that counts and has no row. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_keys_checked_again(ref('int_portal__dossiers_checked'), 'ma_ho_so',
                     stale=payment_changed(ref('int_payments__dossiers_paid'))) }}",
        post_hook="{{ drop_rows_built_before('_checked_at') }}"
    )
}}
with checked as (
    select * from {{ ref('int_portal__dossiers_checked') }} as c
    where is_kept and {{ missing_from_this('c.ma_ho_so') }}
),

-- online_payment_rate (DOMAIN.md 3): a successful transaction in the payment exports counts
-- as paid online too
payments as (
    select * from {{ ref('int_payments__dossiers_paid') }}
)

select
    ma_ho_so,
    ma_tthc,
    ten_tthc,
    ma_linh_vuc,
    ten_linh_vuc,
    coalesce(don_vi_xu_ly, 'UNKNOWN') as unit_code,
    kenh_thuc_hien,
    trang_thai_ho_so,
    loai_doi_tuong,
    ngay_nop_ho_so,
    ngay_tiep_nhan,
    ngay_hen_tra,
    ngay_ket_thuc_xu_ly,
    ngay_tra,
    ngay_tu_choi,
    ngay_cap_nhat,
    is_received,
    cast(case when is_received then ngay_tiep_nhan end as date) as received_date,
    is_ended,
    cast(case when is_ended then ngay_ket_thuc_xu_ly end as date) as ended_date,
    is_online,
    la_nop_ho,
    xac_thuc_vneid,
    ho_so_co_thanh_phan_so_hoa,
    dong_bo_dvcqg,
    thanh_toan_truc_tuyen,
    cast(fee_total as bigint) as fee_total,
    paid_online_flag,
    coalesce(p.has_successful_payment, false) as has_successful_payment,
    paid_online_flag or coalesce(p.has_successful_payment, false) as is_paid_online,
    has_electronic_result,
    has_reused_component,
    replaceable_components,
    replaceable_reused,
    cast(waiting_seconds as bigint) as waiting_seconds,
    effective_deadline,
    case when is_ended then is_on_time end as is_on_time,
    procedure_muc_do,
    procedure_toan_trinh,
    _source as source_url,
    _page as source_page,
    _row as source_row,
    _batch_id as batch_id,
    {{ run_time() }} as _checked_at
from checked
left join payments as p on checked.ma_ho_so = p.dossier_code
