{#- School collections with the row rules of DOMAIN.md 3a: Mã trường not in the ministry's
    school list; an amount that does not parse; a payment method that matches none of the
    five (through the alias seed payment_method_aliases); the same Mã trường + Số biên lai
    with different content (both copies); and, as this project reads it, a Ngày thu that is
    missing or does not parse (the row could fall in no period). Exact copies of a receipt
    are set aside, as are rows of superseded files. -#}
with rows as (
    -- the columns the rules and marts need (the record as received is joined back from
    -- staging for quarantined rows only: carrying it for millions of rows costs)
    select
        c._batch_id, c._batch_seq, c._row_seq, c._source, c._sheet, c._row,
        c.school_code, c.student_key, c.school_year, c.item, c.item_key, c.amount, c.method, c.is_cash,
        c.collected_on, c.receipt_no, c.had_nfd_text,
        f.file_label,
        f.is_current,
        md5(concat_ws('|', c.school_code, c.student_key, c.school_year, c.item, c.amount, c.method,
                      c.collected_on, c.receipt_no)) as content_hash
    from {{ ref('stg_payments__collections') }} as c
    inner join {{ ref('int_files__rows') }} as f using (_batch_id)
),

schools as (
    select school_code from {{ ref('int_moet__school_list') }}
),

variants as (
    select school_code, receipt_no, count(distinct content_hash) as n_variants
    from rows
    where is_current and school_code is not null and receipt_no is not null
    group by school_code, receipt_no
    having count(distinct content_hash) > 1
),

ranked as (
    select
        r.*,
        coalesce(v.n_variants, 1) as n_variants,
        case when r.receipt_no is not null and r.school_code is not null then
            row_number() over (partition by r.is_current, r.school_code, r.receipt_no, r.content_hash
                               order by r._batch_seq, r._row_seq)
        else 1 end as copy_rank
    from rows as r
    left join variants as v on r.is_current and r.school_code = v.school_code and r.receipt_no = v.receipt_no
)

select
    r.*,
    case
        when not r.is_current then 'file_superseded'
        when r.n_variants = 1 and r.copy_rank > 1 then 'exact_duplicate'
    end as set_aside_reason,
    concat_ws(';',
        case when s.school_code is null then 'school_unknown' end,
        case when r.amount is null then 'collection_amount_invalid' end,
        case when r.method is null then 'payment_method_unknown' end,
        case when r.collected_on is null then 'collection_date_invalid' end,
        case when r.n_variants > 1 then 'receipt_conflict' end
    ) as reason_codes
from ranked as r
left join schools as s on r.school_code = s.school_code
