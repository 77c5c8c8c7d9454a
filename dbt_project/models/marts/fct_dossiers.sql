{#- One row per dossier that counts: the latest version of each MaHoSo that breaks no row
    rule. No personal data: names, phones, e-mails and addresses never landed, and the
    identity-number pseudonym stays out of the marts.

    Incremental (macros/incremental.sql, the portal's dossier chain): a copy of
    int_portal__dossiers_counted kept row for row; the bookkeeping column `_checked_at` is not
    published. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_rows_changed_in(ref('int_portal__dossiers_counted'), 'ma_ho_so') }}",
        post_hook="{{ drop_rows_built_before('_checked_at') }}"
    )
}}
select * from {{ ref('int_portal__dossiers_counted') }} as c
where {{ missing_from_this('c.ma_ho_so') }}
