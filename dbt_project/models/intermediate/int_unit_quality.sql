{#- Unit rule (DOMAIN.md 3a): the share of a unit's records in the publication (latest
    versions, all periods) that is quarantined. Past the threshold, its scorecard rows are
    withheld. -#}
with records as (
    select {{ unit_or_unknown('don_vi_xu_ly') }} as unit_code, not is_valid as quarantined
    from {{ ref('int_portal__dossiers_checked') }}
    union all
    select {{ unit_or_unknown('unit_code') }}, nullif(reason_codes, '') is not null
    from {{ ref('int_portal__ratings_checked') }}
    where set_aside_reason is null
    -- file rows count against the school, or a payment against its dossier's unit
    {%- for model, unit in [('int_moet__schools_checked', 'school_code'), ('int_moet__assessments_checked', 'school_code'),
                            ('int_payments__transactions_checked', 'unit_code'),
                            ('int_payments__collections_checked', 'school_code')] %}
    union all
    select {{ unit_or_unknown(unit) }}, reason_codes <> ''
    from {{ ref(model) }}
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
