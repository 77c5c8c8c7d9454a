{#- The periods the scorecard reports: every month, quarter and year that holds a day with
    data, and every official reporting period (seed `reporting_periods`) that does. -#}
with days as (
    select distinct day from {{ ref('int_kpi_daily') }}
),

calendar as (
    select distinct
        'month' as period_type,
        strftime(day, '%Y-%m') as period_key,
        cast(date_trunc('month', day) as date) as period_start,
        cast(date_trunc('month', day) + interval 1 month - interval 1 day as date) as period_end,
        year(day) as plan_year
    from days
    union all
    select distinct
        'quarter',
        cast(year(day) as varchar) || '-Q' || cast(quarter(day) as varchar),
        cast(date_trunc('quarter', day) as date),
        cast(date_trunc('quarter', day) + interval 3 month - interval 1 day as date),
        year(day)
    from days
    union all
    select distinct
        'year',
        cast(year(day) as varchar),
        cast(date_trunc('year', day) as date),
        cast(date_trunc('year', day) + interval 1 year - interval 1 day as date),
        year(day)
    from days
),

reports as (
    select
        'report' as period_type,
        r.period_key,
        cast(r.period_start as date) as period_start,
        cast(r.period_end as date) as period_end,
        r.plan_year
    from {{ ref('reporting_periods') }} as r
    where exists (
            select 1 from days as d
            where d.day between cast(r.period_start as date) and cast(r.period_end as date)
        )
)

select * from calendar
union all
select * from reports
