{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Every landed school-collection row, parsed once (the largest source: tens of millions
    of rows a year). Raw is append-only and batches are numbered in commit order, so each
    run only parses the files it has not seen. The record as received stays in raw. -#}
select
    _batch_id,
    _batch_seq,
    _row_seq,
    _source,
    _sheet,
    _row,
    school_code,
    student_key,
    school_year,
    item,
    item_key,
    amount,
    method,
    is_cash,
    collected_on,
    receipt_no,
    had_nfd_text
from {{ ref('stg_payments__collections') }}
{% if is_incremental() %}
where _batch_seq > (select coalesce(max(_batch_seq), 0) from {{ this }})
{% endif %}
