{#- Đơn vị phải gửi báo cáo — who must send each official reporting period's form
    (DOMAIN.md 7), for every period of the seed, with the period's label and due date and
    the portal's own figures for the unit and period that the pre-filled form prints beside
    the four declared counts, for reference. -#}
with due as (
    select * from {{ ref('int_forms__units_due') }}
),

figures as (
    select
        period_key,
        unit_code,
        sum(computed) filter (where check_code = 'declared_received') as portal_received,
        sum(computed) filter (where check_code = 'declared_received_online') as portal_received_online,
        sum(computed) filter (where check_code = 'declared_ended') as portal_ended,
        sum(computed) filter (where check_code = 'declared_ended_on_time') as portal_ended_on_time
    from {{ ref('int_forms__portal_figures') }}
    group by period_key, unit_code
)

select
    d.period_key,
    d.plan_year,
    d.period_label,
    d.period_start,
    d.period_end,
    d.due_date,
    d.unit_code,
    coalesce(u.unit_name, d.unit_code) as unit_name,
    d.plan_year_has_data,
    cast(coalesce(f.portal_received, 0) as bigint) as portal_received,
    cast(coalesce(f.portal_received_online, 0) as bigint) as portal_received_online,
    cast(coalesce(f.portal_ended, 0) as bigint) as portal_ended,
    cast(coalesce(f.portal_ended_on_time, 0) as bigint) as portal_ended_on_time
from due as d
left join figures as f on d.period_key = f.period_key and d.unit_code = f.unit_code
left join {{ ref('dim_units') }} as u on d.unit_code = u.unit_code
