{#- The version of each dossier that counts, before the row rules. -#}
with versions as (
    select * from {{ ref('int_portal__dossier_versions') }}
),

ranked as (
    select * from {{ ref('int_portal__dossier_versions_ranked') }}
    where is_latest
)

select v.*
from versions as v
inner join ranked as r
    on v._batch_seq = r._batch_seq and v._row_seq = r._row_seq
