{#- Đối chiếu số liệu kê khai (DOMAIN.md 7): one row per period x unit x declared count in
    the unit's counted form, against the portal's own figure for the unit and report period
    (received, received online, ended, ended on time as DOMAIN.md 3 defines them: the
    numerator or denominator of online_dossier_rate and on_time_rate, form_indicators).
    `mismatch` when |declared - computed| > max(2, 1 % of computed), in whole numbers:
    |d| > 2 and 100 x |d| > computed. -#}
with declared as (
    select
        period_key,
        unit_code,
        indicator_code as check_code,
        numerator as declared
    from {{ ref('fct_form_indicators') }}
    where kind = 'declared' and numerator is not null
),

computed as (
    select
        d.period_key,
        d.unit_code,
        d.check_code,
        d.declared,
        coalesce(f.computed, 0) as computed
    from declared as d
    left join {{ ref('form_portal_figures') }} as f
        on d.period_key = f.period_key and d.unit_code = f.unit_code and d.check_code = f.check_code
)

select
    period_key,
    unit_code,
    check_code,
    cast(declared as bigint) as declared,
    cast(computed as bigint) as computed,
    cast(declared - computed as bigint) as difference,
    abs(declared - computed) > 2 and 100 * abs(declared - computed) > computed as mismatch
from computed
