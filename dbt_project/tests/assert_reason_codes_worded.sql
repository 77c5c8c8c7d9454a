{#- Every reason and warning code the data carries has its Vietnamese wording in the seed
    quarantine_reasons (a code added in SQL without a wording fails here, before a unit
    receives a feedback row without a reason it can read). -#}
with used as (
    select distinct unnest(string_split(reason_codes, ';')) as code from {{ ref('quarantine') }}
    union
    select distinct warning_code from {{ ref('data_warnings') }}
)

select u.code
from used as u
left join {{ ref('quarantine_reasons') }} as r on u.code = r.reason_code
where u.code <> '' and r.reason_code is null
