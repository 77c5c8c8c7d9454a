{#- The ministry's school list: every school code in a current school list (DOMAIN.md 3a,
    "Mã trường not in the ministry's school list"). -#}
select distinct school_code
from {{ ref('int_moet__schools_checked') }}
where {{ kept() }}
