{#- Publication rule: rows read = rows kept + rows quarantined + rows set aside, per batch. -#}
select *
from {{ ref('reconciliation') }}
where not is_balanced or rows_unaccounted > 0
