{#- Đơn vị phải gửi báo cáo — who must send each official reporting period's form
    (DOMAIN.md 7), for every period of the seed, with the period's label and due date (the
    portal's reference figures the pre-filled form prints are in form_portal_figures). -#}
select
    d.period_key,
    d.plan_year,
    d.period_label,
    d.period_start,
    d.period_end,
    d.due_date,
    d.unit_code,
    coalesce(u.unit_name, d.unit_code) as unit_name,
    d.plan_year_has_data
from {{ ref('int_forms__units_due') }} as d
left join {{ ref('dim_units') }} as u on d.unit_code = u.unit_code
