{#- Warnings (DOMAIN.md 3a): the record is kept and counts, but its unit is told. One row
    per record and warning. -#}
with dossiers as (
    select
        'portal.ho-so' as source_name,
        dossier_key as record_key,
        coalesce(don_vi_xu_ly, 'UNKNOWN') as unit_code,
        unnest(string_split(warning_codes, ';')) as warning_code,
        _source as source_url,
        _page as source_page,
        _row as source_row
    from {{ ref('int_portal__dossiers_checked') }}
    where is_valid and warning_codes <> ''
)

select
    d.source_name,
    d.record_key,
    d.unit_code,
    d.warning_code,
    r.reason_vi as warning_vi,
    d.source_url || ' #' || cast(d.source_row as varchar) as source_location,
    d.source_url,
    d.source_page,
    d.source_row
from dossiers as d
left join {{ ref('quarantine_reasons') }} as r on d.warning_code = r.reason_code
