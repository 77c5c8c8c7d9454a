{#- Every dossier and rating KPI of DOMAIN.md 3 as daily numerators and denominators per
    unit (local dates). Periods are sums of days, so month, quarter, year and the official
    reporting periods all come from this one table. -#}
with dossiers as (
    select * from {{ ref('fct_dossiers') }}
),

received as (
    select * from dossiers where is_received
),

ended as (
    select * from dossiers where is_ended
),

ratings as (
    select * from {{ ref('fct_ratings') }}
),

facts as (
    select 'online_dossier_rate' as kpi_code, unit_code, received_date as day,
           is_online as in_numerator
    from received
    union all
    select 'self_service_rate', unit_code, received_date, not la_nop_ho
    from received where is_online
    union all
    select 'eid_rate', unit_code, received_date, xac_thuc_vneid
    from received where is_online
    union all
    select 'portal_sync_rate', unit_code, received_date, dong_bo_dvcqg
    from received
    union all
    select 'online_payment_rate', unit_code, received_date, is_paid_online
    from received where fee_total > 0
    union all
    select 'data_reuse_rate', unit_code, received_date, has_reused_component
    from received
    union all
    select 'no_resupply_rate', unit_code, received_date, replaceable_reused = replaceable_components
    from received where replaceable_components > 0
    union all
    select 'result_digitization_rate', unit_code, ended_date, has_electronic_result
    from ended
    union all
    select 'on_time_rate', unit_code, ended_date, is_on_time
    from ended
    union all
    select 'satisfaction_rate', unit_code, rating_date, is_satisfied
    from ratings
)

select
    kpi_code,
    coalesce(unit_code, 'UNKNOWN') as unit_code,
    day,
    count(*) filter (where in_numerator) as numerator,
    count(*) as denominator
from facts
group by 1, 2, 3
