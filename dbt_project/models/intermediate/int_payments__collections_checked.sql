{#- School collections with the row rules of DOMAIN.md 3a: Mã trường not in the ministry's
    school list; an amount that does not parse; a payment method that matches none of the
    five (through the alias seed payment_method_aliases); the same Mã trường + Số biên lai
    with different content (both copies); and, as this project reads it, a Ngày thu that is
    missing or does not parse (the row could fall in no period). Exact copies of a receipt
    are set aside, as are rows of superseded files.

    Built for tens of millions of rows: receipts are nearly all unique, so the copies are
    found first by counting rows per receipt (a lean aggregate), and only the few receipts
    seen twice are compared by content.

    Incremental (docs/decisions.md, "Cost that grows with what is new"): a run checks again
    only the rows whose outcome can have changed — rows of new files, rows of a file whose
    version became or stopped being current, and every row sharing a receipt (Mã trường +
    Số biên lai) with those, since copies and conflicts are judged across files — and
    replaces them by their location (`_batch_seq`, `_row_seq`). A new ministry school list
    (the digest of the codes and attributions it brings changed, asked when the model is
    compiled: macros/incremental.sql, `digest_changed`) checks every row again.
    `_checked_at` (the dbt run's start) tells the rows checked by a run apart, for
    fct_school_collections. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['_batch_seq', '_row_seq'],
        on_schema_change='append_new_columns'
    )
}}
{#- what the rules and fct_school_collections take from the ministry's school lists: the
    codes known and each school's attribution; a new one checks every row again -#}
{%- set school_list_digest = relation_digest(ref('int_moet__schools_checked'), [
    'school_code', 'as_of_date', 'managing_unit', 'district', 'school_level', 'set_aside_reason', 'reason_codes'
]) %}
with files as (
    select
        _batch_id,
        file_label,
        is_current
    from {{ ref('int_files__rows') }}
),

school_list as (
    select {{ school_list_digest }} as digest
),

{% if incremental_over(['_checked_at', '_school_list_digest'])
    and not digest_changed(school_list_digest, '_school_list_digest') %}
files_before as (
    select distinct
        _batch_id,
        file_label,
        is_current
    from {{ this }}
),

files_to_check as (
    -- a file version not checked yet, or whose current/superseded status (or label) changed
    select f._batch_id
    from files as f
    left join files_before as t using (_batch_id)
    where
        t._batch_id is null
        or f.is_current is distinct from t.is_current
        or f.file_label is distinct from t.file_label
),

touched_receipts as (
    select distinct
        school_code,
        receipt_no
    from {{ ref('int_payments__collections_parsed') }}
    where
        _batch_id in (select _batch_id from files_to_check)
        and school_code is not null and receipt_no is not null
),

parsed as (
    -- the rows of the files to check, then the other rows that share a receipt with them:
    -- two joins, each reading the row groups it needs (an `or` of the two conditions in one
    -- filter reads all the rows)
    select c.*
    from {{ ref('int_payments__collections_parsed') }} as c
    where c._batch_id in (select _batch_id from files_to_check)
    union all
    select c.*
    from {{ ref('int_payments__collections_parsed') }} as c
    inner join touched_receipts as t on c.school_code = t.school_code and c.receipt_no = t.receipt_no
    left join files_to_check as f on c._batch_id = f._batch_id
    where f._batch_id is null
),
{% else %}
parsed as (
    select * from {{ ref('int_payments__collections_parsed') }}
),
{% endif %}

rows as (
    -- parsed once (incremental); the record as received is joined back from staging for
    -- quarantined rows only
    select
        c.*,
        f.file_label,
        f.is_current
    from parsed as c
    inner join files as f using (_batch_id)
),

schools as (
    select school_code from {{ ref('int_moet__school_list') }}
),

receipts_seen_twice as (
    select
        school_code,
        receipt_no
    from rows
    where is_current and school_code is not null and receipt_no is not null
    group by school_code, receipt_no
    having count(*) > 1
),

copies as (
    select
        r._batch_seq,
        r._row_seq,
        r.school_code,
        r.receipt_no,
        md5(concat_ws(
            '|', r.school_code, r.student_key, r.school_year, r.item, r.amount, r.method,
            r.collected_on, r.receipt_no
        )) as content_hash
    from rows as r
    inner join receipts_seen_twice as t on r.school_code = t.school_code and r.receipt_no = t.receipt_no
    where r.is_current
),

copies_ranked as (
    select
        _batch_seq,
        _row_seq,
        count(distinct content_hash) over (partition by school_code, receipt_no) as n_variants,
        row_number() over (partition by school_code, receipt_no, content_hash order by _batch_seq, _row_seq)
            as copy_rank
    from copies
)

select
    r.*,
    coalesce(c.n_variants, 1) as n_variants,
    coalesce(c.copy_rank, 1) as copy_rank,
    case
        when not r.is_current then 'file_superseded'
        when c.n_variants = 1 and c.copy_rank > 1 then 'exact_duplicate'
    end as set_aside_reason,
    concat_ws(
        ';',
        case when r.school_code is not null and not {{ is_unit_code('r.school_code') }} then 'school_code_invalid'
            when s.school_code is null then 'school_unknown'
        end,
        case when r.amount is null then 'collection_amount_invalid' end,
        case when r.method is null then 'payment_method_unknown' end,
        case when r.collected_on is null then 'collection_date_invalid' end,
        case when c.n_variants > 1 then 'receipt_conflict' end
    ) as reason_codes,
    {{ run_time() }} as _checked_at,
    (select digest from school_list) as _school_list_digest
from rows as r
left join copies_ranked as c on r._batch_seq = c._batch_seq and r._row_seq = c._row_seq
left join schools as s on r.school_code = s.school_code
