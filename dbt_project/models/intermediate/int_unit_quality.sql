{#- Unit rule (DOMAIN.md 3a): the share of a unit's records in the publication (latest
    versions, all periods) that is quarantined. Past the threshold, its scorecard rows are
    withheld. -#}
with records as (
    select coalesce(don_vi_xu_ly, 'UNKNOWN') as unit_code, not is_valid as quarantined
    from {{ ref('int_portal__dossiers_checked') }}
    union all
    select coalesce(unit_code, 'UNKNOWN'), nullif(reason_codes, '') is not null
    from {{ ref('int_portal__ratings_checked') }}
    where set_aside_reason is null
    -- file rows: a school's own submissions count against the school
    {%- for model in ['int_moet__schools_checked', 'int_moet__assessments_checked', 'int_payments__collections_checked'] %}
    union all
    select coalesce(school_code, 'UNKNOWN'), reason_codes <> ''
    from {{ ref(model) }}
    where set_aside_reason is null
    {%- endfor %}
    -- a payment transaction counts against its dossier's unit
    union all
    select coalesce(d.don_vi_xu_ly, 'UNKNOWN'), t.reason_codes <> ''
    from {{ ref('int_payments__transactions_checked') }} as t
    left join (
        select ma_ho_so, any_value(don_vi_xu_ly) as don_vi_xu_ly
        from {{ ref('int_portal__dossiers_checked') }}
        group by ma_ho_so
    ) as d on t.dossier_code = d.ma_ho_so
    where t.set_aside_reason is null
)

select
    unit_code,
    count(*) as records,
    count(*) filter (where quarantined) as quarantined,
    1.0 * count(*) filter (where quarantined) / count(*) as quarantined_share,
    1.0 * count(*) filter (where quarantined) / count(*) > {{ var('unit_quarantine_threshold') }} as is_withheld
from records
group by unit_code
