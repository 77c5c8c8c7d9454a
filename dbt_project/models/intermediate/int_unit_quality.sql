{#- Unit rule (DOMAIN.md 3a): the share of a unit's records in the publication (latest
    versions, all periods) that is quarantined. Past the threshold, its scorecard rows are
    withheld. File rows count against the unit their source names (macros/registry.sql). -#}
with records as (
    select
        {{ unit_or_unknown('don_vi_xu_ly') }} as unit_code,
        not is_kept as quarantined
    from {{ ref('int_portal__dossiers_checked') }}
    union all
    select
        {{ unit_or_unknown('unit_code') }},
        not{{ kept(none) }}
    from {{ ref('int_portal__ratings_checked') }}
    where set_aside_reason is null
    {%- for file_source in file_sources() %}
    union all
    select
        {{ unit_or_unknown(file_source.unit) }},
        not{{ kept(none) }}
    from {{ ref(file_source.checked) }}
    where set_aside_reason is null
    {%- endfor %}
)

select
    unit_code,
    count(*) as records,
    count(*) filter (where quarantined) as quarantined,
    1.0 * count(*) filter (where quarantined) / count(*) as quarantined_share,
    1.0 * count(*) filter (where quarantined) / count(*) > {{ var('unit_quarantine_threshold') }} as is_withheld
from records
group by unit_code
