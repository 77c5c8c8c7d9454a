{#- Decision 766 points per period x unit x group, and the TOTAL, beside the maximum the
    computable indicators allow. -#}
with indicators as (
    select * from {{ ref('scorecard_766') }}
),

groups as (
    select
        period_type,
        period_key,
        unit_code,
        group_code,
        cast(sum(points) as decimal(9, 2)) as points,
        cast(sum(case when computable then max_points else 0 end) as integer) as max_points_computable,
        cast(sum(max_points) as integer) as max_points_group,
        cast(count(*) filter (where computable) as integer) as indicators_computable,
        cast(count(*) as integer) as indicators
    from indicators
    group by period_type, period_key, unit_code, group_code
)

select * from groups
union all
select
    period_type,
    period_key,
    unit_code,
    'TOTAL',
    cast(sum(points) as decimal(9, 2)),
    cast(sum(max_points_computable) as integer),
    cast(sum(max_points_group) as integer),
    cast(sum(indicators_computable) as integer),
    cast(sum(indicators) as integer)
from groups
group by period_type, period_key, unit_code
