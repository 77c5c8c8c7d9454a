{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- The record as received (minus personal data) of every dossier and file row the
    quarantine lists, read once: a landed row never changes (raw is append-only and a
    position is never used twice), so a run reads from the landed rows (the dossiers' JSON,
    the files' received columns) only the records of the rows listed for the first time,
    not those of every row listed (docs/decisions.md, "Cost that grows with what is new").
    A row that leaves the quarantine keeps its record here; the quarantine shows only the
    rows it lists now. Ratings carry their payload already (int_portal__rating_versions). -#}
with listed as (
    select
        'portal.ho-so' as source_name,
        _batch_seq,
        _row_seq
    from {{ ref('int_portal__dossiers_checked') }}
    where not is_kept
    {%- for file_source in file_sources() %}
    union all
    select
        '{{ file_source.source }}',
        _batch_seq,
        _row_seq
    from {{ ref(file_source.checked) }}
    where {{ quarantined() }}
    {%- endfor %}
),

missing as (
    select
        l.source_name,
        l._batch_seq,
        l._row_seq
    from listed as l
    {%- if is_incremental() %}
    where not exists (
            select 1
            from {{ this }} as t
            where t.source_name = l.source_name and t._batch_seq = l._batch_seq and t._row_seq = l._row_seq
        )
    {%- endif %}
)

select
    m.source_name,
    m._batch_seq,
    m._row_seq,
    {{ json_without('r.payload', ['SoGiayToChuHoSo_hash']) }} as record
from missing as m
inner join {{ ref('stg_portal__dossiers') }} as r on m._batch_seq = r._batch_seq and m._row_seq = r._row_seq
where m.source_name = 'portal.ho-so'
{%- for file_source in file_sources() %}
union all
select
    m.source_name,
    m._batch_seq,
    m._row_seq,
    -- the staging model's received columns (student codes left out)
    cast({{ received_record(ref(file_source.staging), 'r') }} as varchar)
from missing as m
inner join {{ ref(file_source.staging) }} as r on m._batch_seq = r._batch_seq and m._row_seq = r._row_seq
where m.source_name = '{{ file_source.source }}'
{%- endfor %}
