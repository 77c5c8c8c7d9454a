{#- The batch register: one row per landed batch (portal pages or a file version), with
    the rows its connector read. Written by every ingest in the same transaction as its rows. -#}
select
    batch_id,
    batch_seq,
    source,
    started_at,
    committed_at,
    window_from,
    window_to,
    pages,
    rows_read
from {{ source('portal', 'batches') }}
