{#- Every record that breaks a row rule (DOMAIN.md 3a): it counts in no KPI and is listed
    here with its source location, submitting unit, reason and the record as received
    minus personal data (the pseudonym of the identity number is removed too). -#}
with reasons as (
    select reason_code, reason_vi from {{ ref('quarantine_reasons') }}
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
        {{ json_without('r.payload', ['SoGiayToChuHoSo_hash']) }} as record
    from {{ ref('int_portal__dossiers_checked') }} as c
    inner join {{ source('portal', 'portal_dossiers') }} as r
        on c._batch_seq = r._batch_seq and c._row_seq = r._row_seq
    where not c.is_valid
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
    where set_aside_reason is null and nullif(reason_codes, '') is not null
),

{#- file rows: the record as received (student codes left out) is built from the raw row,
    for the listed rows only. The unit: the school, or the paid dossier's unit. -#}
{%- set file_sources = [
    ('moet.schools', 'int_moet__schools_checked', 'moet_schools', 'school_code'),
    ('moet.assessments', 'int_moet__assessments_checked', 'moet_assessments', 'school_code'),
    ('payments.transactions', 'int_payments__transactions_checked', 'payment_transactions', 'unit_code'),
    ('payments.collections', 'int_payments__collections_checked', 'school_collections', 'school_code'),
] %}
{%- for source_name, model, raw_table, unit in file_sources %}
{{ source_name | replace('.', '_') }} as (
    select
        '{{ source_name }}',
        c.file_label || '!' || coalesce(c._sheet, '') || '#' || cast(c._row as varchar),
        {{ unit_or_unknown('c.' ~ unit) }},
        split_part(c.reason_codes, ';', 1),
        c.reason_codes,
        c.file_label,
        cast(null as integer),
        cast(c._row as integer),
        c._batch_id,
        cast({{ file_record(source_name, 'r') }} as varchar)
    from {{ ref(model) }} as c
    inner join {{ source('files', raw_table) }} as r on c._batch_seq = r._batch_seq and c._row_seq = r._row_seq
    where c.set_aside_reason is null and c.reason_codes <> ''
),
{%- endfor %}

-- a file that could not be read at all (and whose path has not been loaded since)
rejected_files as (
    select
        'files',
        file_label || '@' || left(file_id, 12),
        'UNKNOWN',
        reason_code,
        reason_code,
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
    {%- for source_name, model, raw_table, unit in file_sources %}
    union all
    select * from {{ source_name | replace('.', '_') }}
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
