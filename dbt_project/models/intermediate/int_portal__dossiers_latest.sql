{#- The version of each dossier that counts, before the row rules. Incremental
    (macros/incremental.sql, the portal's dossier chain): the dossiers ranked again since. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='dossier_key',
        on_schema_change='append_new_columns'
    )
}}
with versions as (
    select * from {{ ref('int_portal__dossier_versions') }}
),

ranked as (
    select
        _batch_seq,
        _row_seq
    from {{ ref('int_portal__dossier_versions_ranked') }}
    where is_latest and {{ since_this() }}
)

select
    v.*,
    {{ run_time() }} as _checked_at
from versions as v
inner join ranked as r
    on v._batch_seq = r._batch_seq and v._row_seq = r._row_seq
