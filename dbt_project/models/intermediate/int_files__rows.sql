{#- Which landed file each batch is, and whether it is its path's current version. -#}
select
    batch_id as _batch_id,
    folder,
    file_id,
    path,
    file_label,
    as_of_date,
    is_current
from {{ ref('stg_files__files') }}
where status = 'loaded'
