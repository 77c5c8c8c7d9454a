{#- Every dossier, rating and collection KPI of DOMAIN.md 3 as daily numerators and
    denominators per unit (local dates). Periods are sums of days, so month, quarter, year
    and the official reporting periods all come from this one table. school_cashless_rate
    sums amounts (VND, refunds netted against the method they name) per school. -#}
with dossiers as (
    select * from {{ ref('int_portal__dossiers_counted') }}
),

received as (
    select * from dossiers
    where is_received
),

ended as (
    select * from dossiers
    where is_ended
),

ratings as (
    select
        coalesce(unit_code, 'UNKNOWN') as unit_code,
        cast(ngay_danh_gia as date) as rating_date,
        muc_do_hai_long in ('1', '2') as is_satisfied
    from {{ ref('int_portal__ratings_checked') }}
    where {{ kept() }}
),

facts as (
    select
        'online_dossier_rate' as kpi_code,
        unit_code,
        received_date as day,
        is_online as in_numerator
    from received
    union all
    select
        'self_service_rate',
        unit_code,
        received_date,
        not la_nop_ho
    from received
    where is_online
    union all
    select
        'eid_rate',
        unit_code,
        received_date,
        xac_thuc_vneid
    from received
    where is_online
    union all
    select
        'portal_sync_rate',
        unit_code,
        received_date,
        dong_bo_dvcqg
    from received
    union all
    select
        'online_payment_rate',
        unit_code,
        received_date,
        is_paid_online
    from received
    where fee_total > 0
    union all
    select
        'data_reuse_rate',
        unit_code,
        received_date,
        has_reused_component
    from received
    union all
    select
        'no_resupply_rate',
        unit_code,
        received_date,
        replaceable_reused = replaceable_components
    from received
    where replaceable_components > 0
    union all
    select
        'result_digitization_rate',
        unit_code,
        ended_date,
        has_electronic_result
    from ended
    union all
    select
        'on_time_rate',
        unit_code,
        ended_date,
        is_on_time
    from ended
    union all
    select
        'satisfaction_rate',
        unit_code,
        rating_date,
        is_satisfied
    from ratings
),

counts as (
    select
        kpi_code,
        coalesce(unit_code, 'UNKNOWN') as unit_code,
        day,
        count(*) filter (where in_numerator) as numerator,
        count(*) as denominator
    from facts
    group by kpi_code, coalesce(unit_code, 'UNKNOWN'), day
),

amounts as (
    select
        'school_cashless_rate' as kpi_code,
        school_code as unit_code,
        day,
        numerator,
        denominator
    -- summed per school and day, incrementally (int_payments__collections_daily)
    from {{ ref('int_payments__collections_daily') }}
    where rows_counted > 0
),

figures as (
    select
        kpi_code,
        unit_code,
        day,
        numerator,
        denominator
    from counts
    union all
    select
        kpi_code,
        unit_code,
        day,
        numerator,
        denominator
    from amounts
)

-- `measure` (kpi_definitions): a count KPI is a ratio in [0, 1]; an amount one is not
select
    f.kpi_code,
    f.unit_code,
    f.day,
    cast(f.numerator as bigint) as numerator,
    cast(f.denominator as bigint) as denominator,
    k.measure
from figures as f
inner join {{ ref('kpi_definitions') }} as k on f.kpi_code = k.kpi_code
