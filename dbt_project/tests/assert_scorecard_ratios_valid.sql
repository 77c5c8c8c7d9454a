{#- Publication rule (DOMAIN.md 3a): a count KPI (every KPI but school_cashless_rate) has a
    value in [0, 1] and a numerator no greater than its denominator. -#}
select *
from {{ ref('kpi_scorecard') }}
where kpi_code <> 'school_cashless_rate'
  and status = 'ok'
  and (
      numerator < 0
      or numerator > denominator
      or value < 0
      or value > 1
      or (denominator > 0 and value is null)
  )
