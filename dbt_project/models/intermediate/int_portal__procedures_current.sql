{#- The latest catalogue the warehouse holds (DOMAIN.md 3, "Procedures"): the whole
    catalogue of the last batch that read one; every earlier batch stays in raw. -#}
with procedures as (
    select * from {{ ref('stg_portal__procedures') }}
),

latest_batch as (
    select max(_batch_seq) as _batch_seq from procedures
),

current_rows as (
    select
        p.*,
        row_number() over (partition by p.ma_tthc order by p._row_seq desc) as copy_no
    from procedures as p
    inner join latest_batch as b on p._batch_seq = b._batch_seq
    where p.ma_tthc is not null
)

select * exclude (copy_no)
from current_rows
where copy_no = 1
