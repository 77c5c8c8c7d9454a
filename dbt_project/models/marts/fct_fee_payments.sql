{#- Online fee payments that count (DOMAIN.md 2.3), matched to their dossier: one row per
    Mã giao dịch. `unit_code` is the dossier's handling unit. -#}
with payments as (
    select * from {{ ref('int_payments__transactions_checked') }}
    where set_aside_reason is null and reason_codes = ''
),

dossiers as (
    select ma_ho_so, don_vi_xu_ly from {{ ref('int_portal__dossiers_checked') }}
    where ma_ho_so is not null
    qualify row_number() over (partition by ma_ho_so order by is_valid desc) = 1
)

select
    p.transaction_code,
    p.dossier_code,
    p.procedure_code,
    coalesce(d.don_vi_xu_ly, 'UNKNOWN') as unit_code,
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
left join dossiers as d on p.dossier_code = d.ma_ho_so
