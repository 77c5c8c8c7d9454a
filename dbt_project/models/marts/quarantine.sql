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
        coalesce(c.don_vi_xu_ly, 'UNKNOWN') as unit_code,
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
        coalesce(unit_code, 'UNKNOWN'),
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

unioned as (
    select * from dossiers
    union all
    select * from ratings
)

select
    u.source_name,
    u.record_key,
    u.unit_code,
    u.reason_code,
    r.reason_vi,
    u.reason_codes,
    u.source_url || ' #' || cast(u.source_row as varchar) as source_location,
    u.source_url,
    u.source_page,
    u.source_row,
    u.batch_id,
    u.record
from unioned as u
left join reasons as r on u.reason_code = r.reason_code
