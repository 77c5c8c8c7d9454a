{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Every landed rating row, parsed once, as int_portal__dossier_versions does for dossiers:
    raw is append-only and batches are numbered in commit order, so each run parses only the
    batches it has not seen (docs/decisions.md, "Cost that grows with what is new"). The
    payload stays with the row: the quarantine lists a rating as received, and a rating is a
    few fields. -#}
select * from {{ ref('stg_portal__ratings') }}
{% if is_incremental() %}
where _batch_seq > (select coalesce(max(_batch_seq), 0) from {{ this }})
{% endif %}
