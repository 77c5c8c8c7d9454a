{#- Rows read = rows kept + rows quarantined + rows set aside, per batch and so per file
    (DOMAIN.md 3a): every file version is landed as one batch. `rows_read` comes from the
    connector's own count in raw.batches; the other three from the models, so a transform
    that drops a row shows here as a difference. For a file, the rows that were not records
    (blank rows, footer rows) are shown beside it. -#}
with batches as (
    select
        batch_id,
        batch_seq,
        source,
        committed_at,
        rows_read
    from {{ ref('stg_portal__batches') }}
),

dossier_rows as (
    select
        v._batch_id as batch_id,
        case
            when r.set_aside_reason is not null then 'set_aside'
            when c.is_kept then 'kept'
            when c.dossier_key is not null then 'quarantined'
        end as disposition
    from {{ ref('int_portal__dossier_versions') }} as v
    left join {{ ref('int_portal__dossier_versions_ranked') }} as r
        on v._batch_seq = r._batch_seq and v._row_seq = r._row_seq
    left join {{ ref('int_portal__dossiers_checked') }} as c
        on v._batch_seq = c._batch_seq and v._row_seq = c._row_seq
),

rating_rows as (
    select
        _batch_id as batch_id,
        case
            when set_aside_reason is not null then 'set_aside'
            when {{ kept(none) }} then 'kept'
            else 'quarantined'
        end as disposition
    from {{ ref('int_portal__ratings_checked') }}
),

procedure_rows as (
    -- A catalogue is reference data: every row of the current catalogue is kept; rows of
    -- earlier catalogues (and duplicates within one) are set aside as superseded.
    select
        p._batch_id as batch_id,
        case when c._row_seq is not null then 'kept' else 'set_aside' end as disposition
    from {{ ref('stg_portal__procedures') }} as p
    left join {{ ref('int_portal__procedures_current') }} as c
        on p._batch_seq = c._batch_seq and p._row_seq = c._row_seq
),

file_rows as (
    {%- for file_source in file_sources() %}
    select
        _batch_id as batch_id,
        case
            when set_aside_reason is not null then 'set_aside'
            when {{ kept(none) }} then 'kept'
            when reason_codes is not null then 'quarantined'
        end as disposition
    from {{ ref(file_source.checked) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

all_rows as (
    select * from dossier_rows
    union all
    select * from rating_rows
    union all
    select * from procedure_rows
    union all
    select * from file_rows
),

counted as (
    select
        batch_id,
        count(*) filter (where disposition = 'kept') as rows_kept,
        count(*) filter (where disposition = 'quarantined') as rows_quarantined,
        count(*) filter (where disposition = 'set_aside') as rows_set_aside,
        count(*) filter (where disposition is null) as rows_unaccounted
    from all_rows
    group by batch_id
),

files as (
    select
        batch_id,
        file_label,
        rows_blank,
        rows_footer
    from {{ ref('stg_files__files') }}
    where status = 'loaded'
)

select
    b.batch_id,
    b.batch_seq,
    b.source,
    b.committed_at,
    f.file_label as source_file,
    b.rows_read,
    coalesce(c.rows_kept, 0) as rows_kept,
    coalesce(c.rows_quarantined, 0) as rows_quarantined,
    coalesce(c.rows_set_aside, 0) as rows_set_aside,
    coalesce(c.rows_unaccounted, 0) as rows_unaccounted,
    b.rows_read = coalesce(c.rows_kept, 0) + coalesce(c.rows_quarantined, 0) + coalesce(c.rows_set_aside, 0)
        as is_balanced,
    f.rows_blank as rows_not_records_blank,
    f.rows_footer as rows_not_records_footer
from batches as b
left join counted as c on b.batch_id = c.batch_id
left join files as f on b.batch_id = f.batch_id
