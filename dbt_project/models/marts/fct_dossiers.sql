{#- One row per dossier that counts: the latest version of each MaHoSo that breaks no row
    rule. No personal data: names, phones, e-mails and addresses never landed, and the
    identity-number pseudonym stays out of the marts. -#}
select * from {{ ref('int_portal__dossiers_counted') }}
