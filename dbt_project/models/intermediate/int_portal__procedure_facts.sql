{#- The procedure KPIs of DOMAIN.md 3, one row per procedure and KPI whose denominator it
    is in: the catalogue the warehouse holds now stands for every period, with
    CoQuanThucHien as the unit. kpi_scorecard counts these; the completeness suite expects
    a scorecard row for every KPI here. -#}
with procedures as (
    select
        coalesce(co_quan_thuc_hien, 'UNKNOWN') as unit_code,
        muc_do,
        du_dieu_kien_dvctt,
        co_phi_le_phi,
        co_thanh_toan_truc_tuyen,
        cong_khai_tren_dvcqg
    from {{ ref('int_portal__procedures_current') }}
)

select
    unit_code,
    'procedure_online_coverage' as kpi_code,
    muc_do in ('3', '4') as in_numerator
from procedures
where du_dieu_kien_dvctt
union all
select
    unit_code,
    'procedure_on_national_portal',
    cong_khai_tren_dvcqg
from procedures
where muc_do in ('3', '4')
union all
select
    unit_code,
    'procedure_online_payment_enabled',
    co_thanh_toan_truc_tuyen
from procedures
where co_phi_le_phi
