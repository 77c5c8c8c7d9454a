{#- The dossiers a successful transaction of the payment exports shows paid online
    (online_payment_rate, DOMAIN.md 3). int_portal__dossiers_counted takes the flag from here,
    and takes a dossier again when its flag changes. -#}
select
    dossier_code,
    bool_or(status = 'success') as has_successful_payment
from {{ ref('int_payments__transactions_checked') }}
where {{ kept() }}
group by dossier_code
