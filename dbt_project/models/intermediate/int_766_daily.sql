{#- Daily numerators and denominators of the Decision 766 indicators that are not KPIs of
    the plan (DOMAIN.md 4): 3.1, 4.2 and 4.5. -#}
with dossiers as (
    select * from {{ ref('int_portal__dossiers_counted') }}
),

facts as (
    select
        '3.1' as indicator_code,
        unit_code,
        received_date as day,
        is_online and procedure_muc_do = '4' and procedure_toan_trinh as in_numerator
    from dossiers
    where is_received and procedure_toan_trinh
    union all
    select
        '4.2',
        unit_code,
        ended_date,
        ho_so_co_thanh_phan_so_hoa and has_electronic_result
    from dossiers
    where is_ended
    union all
    select
        '4.5',
        unit_code,
        received_date,
        xac_thuc_vneid
    from dossiers
    where is_received
)

select
    indicator_code,
    unit_code,
    day,
    count(*) filter (where in_numerator) as numerator,
    count(*) as denominator
from facts
group by indicator_code, unit_code, day
