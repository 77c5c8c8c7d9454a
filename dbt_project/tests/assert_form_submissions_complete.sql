{#- Every unit due for a reporting period has its row in form_submissions (DOMAIN.md 7):
    the office chases the units this table lists, so a unit missing here is never chased. -#}
select
    d.period_key,
    d.unit_code
from {{ ref('int_forms__units_due') }} as d
left join {{ ref('form_submissions') }} as s
    on d.period_key = s.period_key and d.unit_code = s.unit_code
where d.plan_year_has_data and s.unit_code is null
