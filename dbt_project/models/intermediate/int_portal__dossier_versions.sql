{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Every landed dossier row, parsed once. Raw is append-only and batches are numbered in
    commit order, so each run only parses the batches it has not seen. The JSON payload
    stays in raw (the quarantine reads it from there for the few records it lists). -#}
with versions as (
    select * from {{ ref('stg_portal__dossiers') }}
    {% if is_incremental() %}
    where _batch_seq > (select coalesce(max(_batch_seq), 0) from {{ this }})
    {% endif %}
)

select
    {{ star_except(ref('stg_portal__dossiers'), ['payload']) }},
    coalesce(ma_ho_so, '#' || payload_hash) as dossier_key
from versions
