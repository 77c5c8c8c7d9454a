{#- Online fee payments that count (DOMAIN.md 2.3), matched to their dossier: one row per
    Mã giao dịch. `unit_code` is the dossier's handling unit (its latest version's). -#}
with payments as (
    select * from {{ ref('int_payments__transactions_checked') }}
    where {{ kept() }}
)

select
    p.transaction_code,
    p.dossier_code,
    p.procedure_code,
    p.unit_code,
    cast(p.amount as bigint) as amount,
    coalesce(p.status, 'unknown') as status,
    p.status = 'success' as is_success,
    p.paid_at,
    p.payment_channel,
    p.bank,
    p.file_label as source_file,
    p._sheet as source_sheet,
    p._row as source_row
from payments as p
