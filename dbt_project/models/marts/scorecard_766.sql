{#- Decision 766/QĐ-TTg scorecard per period x unit x indicator (DOMAIN.md 4), per the
    national portal's published method: points = P x min(1, rate / T), or P x rate without
    a threshold, rounded half away from zero to 2 decimals — computed in integers so the
    rounding is exact. An indicator whose denominator is 0 is not computable there. -#}
with indicators as (
    select * from {{ ref('indicators_766') }}
),

scorecard as (
    select * from {{ ref('kpi_scorecard') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

keys as (
    select distinct
        period_type,
        period_key,
        unit_code,
        status
    from scorecard
),

extra_by_unit as (
    select
        p.period_type,
        p.period_key,
        d.unit_code,
        d.indicator_code,
        sum(d.numerator) as numerator,
        sum(d.denominator) as denominator
    from {{ ref('int_766_daily') }} as d
    inner join periods as p on d.day between p.period_start and p.period_end
    group by p.period_type, p.period_key, d.unit_code, d.indicator_code
),

extra as (
    select * from extra_by_unit
    union all
    select
        period_type,
        period_key,
        'ALL',
        indicator_code,
        sum(numerator),
        sum(denominator)
    from extra_by_unit
    group by period_type, period_key, indicator_code
),

figures as (
    select
        k.period_type,
        k.period_key,
        k.unit_code,
        k.status,
        i.indicator_code,
        i.group_code,
        i.name_vi,
        i.max_points,
        i.threshold_pct,
        i.computable as source_computable,
        i.note as source_note,
        coalesce(s.numerator, e.numerator) as numerator,
        coalesce(s.denominator, e.denominator) as denominator
    from keys as k
    cross join indicators as i
    left join scorecard as s
        on k.period_type = s.period_type and k.period_key = s.period_key
            and k.unit_code = s.unit_code and i.kpi_code = s.kpi_code
    left join extra as e
        on k.period_type = e.period_type and k.period_key = e.period_key
            and k.unit_code = e.unit_code and i.indicator_code = e.indicator_code
),

judged as (
    select
        *,
        source_computable and status = 'ok' and coalesce(denominator, 0) > 0 as is_computable
    from figures
)

select
    period_type,
    period_key,
    unit_code,
    group_code,
    indicator_code,
    name_vi,
    cast(numerator as bigint) as numerator,
    cast(denominator as bigint) as denominator,
    case when is_computable then 1.0 * numerator / denominator end as rate,
    threshold_pct / 100.0 as threshold,
    max_points,
    case
        when not is_computable then null
        -- at or above the threshold: full points
        when
            threshold_pct is not null and 100 * numerator >= threshold_pct * denominator
            then cast(max_points as decimal(9, 2))
        -- P x rate / T: points x 100 = 100 x P x 100 x num / (T% x den), rounded half up
        when threshold_pct is not null then cast({{ int_div(
            '2 * 10000 * max_points * numerator + threshold_pct * denominator',
            '2 * threshold_pct * denominator') }} / 100.0 as decimal(9, 2))
        -- P x rate: points x 100 = 100 x P x num / den, rounded half up
        else cast(
                {{ int_div('2 * 100 * max_points * numerator + denominator', '2 * denominator') }} / 100.0
                as decimal(9, 2)
            )
    end as points,
    is_computable as computable,
    case
        when not source_computable then source_note
        when status <> 'ok' then 'Số liệu của đơn vị bị tạm giữ (unit withheld)'
        when coalesce(denominator, 0) = 0 then 'Mẫu số bằng 0 trong kỳ (denominator is 0 in the period)'
    end as note
from judged
