{#- Every record that breaks a row rule (DOMAIN.md 3a): it counts in no KPI and is listed
    here with its source location, submitting unit, reason and the record as received
    minus personal data (the pseudonym of the identity number is removed too; the dossiers'
    and file rows' records are read once, in int_quarantine__records). -#}
with reasons as (
    select
        reason_code,
        reason_vi
    from {{ ref('quarantine_reasons') }}
),

records as (
    -- each dossier and file row's record as received, read once (int_quarantine__records)
    select
        source_name,
        _batch_seq,
        _row_seq,
        record
    from {{ ref('int_quarantine__records') }}
),

dossiers as (
    select
        'portal.ho-so' as source_name,
        c.dossier_key as record_key,
        {{ unit_or_unknown('c.don_vi_xu_ly') }} as unit_code,
        c.reason_code,
        c.reason_codes,
        c._source as source_url,
        c._page as source_page,
        c._row as source_row,
        c._batch_id as batch_id,
        r.record
    from {{ ref('int_portal__dossiers_checked') }} as c
    inner join records as r
        on r.source_name = 'portal.ho-so' and c._batch_seq = r._batch_seq and c._row_seq = r._row_seq
    where not c.is_kept
),

ratings as (
    select
        'portal.danh-gia',
        rating_key,
        {{ unit_or_unknown('unit_code') }},
        nullif(split_part(reason_codes, ';', 1), ''),
        reason_codes,
        _source,
        _page,
        _row,
        _batch_id,
        payload
    from {{ ref('int_portal__ratings_checked') }}
    where {{ quarantined() }}
),

{#- file rows, one CTE per file source of the registry (macros/registry.sql). The unit: the
    school, or the paid dossier's unit. -#}
{%- for file_source in file_sources() %}

{{ file_source.source | replace('.', '_') }} as (
    select
        '{{ file_source.source }}',
        {{ file_record_key('c') }},
        {{ unit_or_unknown('c.' ~ file_source.unit) }},
        split_part(c.reason_codes, ';', 1),
        c.reason_codes,
        c.file_label,
        cast(null as integer),
        cast(c._row as integer),
        c._batch_id,
        r.record
    from {{ ref(file_source.checked) }} as c
    inner join records as r
        on r.source_name = '{{ file_source.source }}' and c._batch_seq = r._batch_seq and c._row_seq = r._row_seq
    where {{ quarantined('c.') }}
),
{%- endfor %}

-- a file that could not be read at all (and whose path has not been loaded since)
rejected_files as (
    select
        'files',
        file_label || '@' || left(file_id, 12),
        'UNKNOWN',
        reason_code,
        reason_code as reason_codes,
        file_label,
        cast(null as integer),
        cast(null as integer),
        cast(null as varchar),
        cast(to_json(struct_pack(file := file_label, size_bytes, reason)) as varchar)
    from {{ ref('stg_files__files') }}
    where is_outstanding_rejection
),

unioned as (
    select * from dossiers
    union all
    select * from ratings
    {%- for file_source in file_sources() %}
    union all
    select * from {{ file_source.source | replace('.', '_') }}
    {%- endfor %}
    union all
    select * from rejected_files
)

select
    u.source_name,
    u.record_key,
    u.unit_code,
    u.reason_code,
    r.reason_vi,
    u.reason_codes,
    case
        when u.source_name like 'portal.%' then u.source_url || ' #' || cast(u.source_row as varchar)
        else u.record_key
    end as source_location,
    u.source_url,
    u.source_page,
    u.source_row,
    u.batch_id,
    u.record
from unioned as u
left join reasons as r on u.reason_code = r.reason_code
