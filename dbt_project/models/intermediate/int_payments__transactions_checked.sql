{#- Online fee payments with the row rules of DOMAIN.md 3a: an amount that does not parse
    or is zero; a Mã hồ sơ no landed dossier has; the same Mã giao dịch twice with different
    content after parsing (both copies), except a transaction that moved from Đang xử lý to
    a final status (the final copy counts; the pending ones are set aside as updated). An
    exact copy (the same transaction in two overlapping exports) is set aside, as are rows
    of superseded files. -#}
with rows as (
    select
        {{ staged_columns('t', ref('stg_payments__transactions')) }},
        f.file_label,
        f.is_current,
        md5(concat_ws(
            '|', t.dossier_code, t.procedure_code, t.amount, coalesce(t.status, t.status_text),
            t.payment_channel, t.bank, t.paid_at
        )) as content_hash
    from {{ ref('stg_payments__transactions') }} as t
    inner join {{ ref('int_files__rows') }} as f using (_batch_id)
),

-- every landed MaHoSo, valid or not, with its latest version's unit (dossiers are keyed
-- by MaHoSo, so each landed code has exactly one latest version)
dossiers as (
    select
        ma_ho_so,
        don_vi_xu_ly
    from {{ ref('int_portal__dossiers_checked') }}
    where ma_ho_so is not null
),

variants as (
    select
        transaction_code,
        count(distinct content_hash) as n_variants,
        count(distinct content_hash) filter (where status is distinct from 'pending') as n_final_variants,
        count(distinct concat_ws('|', dossier_code, amount)) as n_payments
    from rows
    where is_current and transaction_code is not null
    group by transaction_code
),

ranked as (
    select
        r.*,
        coalesce(v.n_variants, 1) as n_variants,
        v.n_variants > 1 and v.n_final_variants = 1 and v.n_payments = 1 as is_update,
        row_number() over (
            partition by r.is_current, r.transaction_code, r.content_hash
            order by r._batch_seq, r._row_seq
        ) as copy_rank
    from rows as r
    left join variants as v on r.is_current and r.transaction_code = v.transaction_code
)

select
    r.*,
    coalesce(d.don_vi_xu_ly, 'UNKNOWN') as unit_code,
    case
        when not r.is_current then 'file_superseded'
        when r.transaction_code is not null and r.is_update and r.status = 'pending' then 'payment_updated'
        when r.transaction_code is not null and (r.n_variants = 1 or r.is_update) and r.copy_rank > 1
            then 'exact_duplicate'
    end as set_aside_reason,
    concat_ws(
        ';',
        case when r.transaction_code is null then 'transaction_code_missing' end,
        case when r.amount is null or r.amount = 0 then 'payment_amount_invalid' end,
        case when d.ma_ho_so is null then 'payment_dossier_unknown' end,
        case when r.n_variants > 1 and not r.is_update then 'payment_conflict' end
    ) as reason_codes
from ranked as r
left join dossiers as d on r.dossier_code = d.ma_ho_so
