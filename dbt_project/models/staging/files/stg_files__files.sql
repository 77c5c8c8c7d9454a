{#- Every file seen in an input folder. A path's latest loaded version is current; the rows
    of its earlier versions are set aside as superseded. -#}
with source as (
    select * from {{ source('files', 'files') }}
),

loaded as (
    select
        folder,
        path,
        file_id,
        kind,
        batch_id,
        row_number() over (partition by folder, path order by b.batch_seq desc) as version_rank
    from source as s
    inner join {{ source('portal', 'batches') }} as b using (batch_id)
    where s.status = 'loaded'
)

select
    s.folder,
    s.file_id,
    s.kind,
    s.path,
    s.folder || '/' || s.path as file_label,
    s.size_bytes,
    s.modified_at,
    s.seen_at,
    s.status,
    s.source,
    s.reason_code,
    s.reason,
    s.batch_id,
    s.rows_read,
    s.rows_blank,
    s.rows_footer,
    s.header_row,
    s.sheets,
    s.encoding,
    s.delimiter,
    -- the date a snapshot stands for: written in its title rows, else the file's own date
    coalesce(s.as_of_date, cast(s.modified_at as date)) as as_of_date,
    s.as_of_date is null as as_of_from_file_date,
    s.notes,
    -- what a rejected report form still says of itself (DOMAIN.md 7), as typed
    s.declared_unit,
    s.declared_period,
    coalesce(l.version_rank = 1, false) as is_current,
    -- a rejected file whose path has since been loaded is no longer outstanding
    s.status = 'rejected' and not exists (
        select 1 from loaded as x
        where x.folder = s.folder and x.path = s.path
    ) as is_outstanding_rejection
from source as s
left join loaded as l on s.folder = l.folder and s.file_id = l.file_id and s.kind = l.kind
