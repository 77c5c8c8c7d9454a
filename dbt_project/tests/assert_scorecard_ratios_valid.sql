{#- Publication rule (DOMAIN.md 3a): a count KPI (kpi_definitions.measure = 'count') has a
    value in [0, 1] and a numerator no greater than its denominator. -#}
select s.*
from {{ ref('kpi_scorecard') }} as s
inner join {{ ref('kpi_definitions') }} as k on s.kpi_code = k.kpi_code
where k.measure = 'count'
    and s.status = 'ok'
    and (
        s.numerator < 0
        or s.numerator > s.denominator
        or s.value < 0
        or s.value > 1
        or (s.denominator > 0 and s.value is null)
    )
