{#- The standard table of procedure resolution (tình hình giải quyết TTHC) per period,
    procedure and unit, as the report shows it (docs/decisions.md, "Reports"): dossiers
    carried over, newly received by channel, ended early / on time / late, and still open
    within or past their deadline at the period's end. Withdrawn (7) and stopped (8)
    dossiers are neither carried over nor open. -#}
with dossiers as (
    select
        ma_tthc,
        ten_tthc,
        unit_code,
        kenh_thuc_hien,
        trang_thai_ho_so,
        received_date,
        is_ended,
        ended_date,
        is_on_time,
        cast(effective_deadline as date) as deadline_day
    from {{ ref('fct_dossiers') }}
    where is_received
),

periods as (
    select
        period_type,
        period_key,
        period_start,
        period_end
    from {{ ref('int_periods') }}
),

counted as (
    select
        p.period_type,
        p.period_key,
        d.ma_tthc,
        any_value(d.ten_tthc) as ten_tthc,
        d.unit_code,
        count(
            *) filter (
            where d.received_date < p.period_start
            and (not d.is_ended or d.ended_date >= p.period_start)
            and d.trang_thai_ho_so not in ('7', '8')
        ) as carried_over,
        count(*) filter (where d.received_date >= p.period_start and d.kenh_thuc_hien = '1') as new_in_person,
        count(*) filter (where d.received_date >= p.period_start and d.kenh_thuc_hien = '2') as new_online,
        count(*) filter (where d.received_date >= p.period_start and d.kenh_thuc_hien = '3') as new_postal,
        count(
            *) filter (
            where d.is_ended and d.ended_date between p.period_start and p.period_end and d.is_on_time
            and d.deadline_day is not null and d.ended_date < d.deadline_day
        ) as ended_early,
        count(
            *) filter (
            where d.is_ended and d.ended_date between p.period_start and p.period_end and d.is_on_time
            and (d.deadline_day is null or d.ended_date >= d.deadline_day)
        ) as ended_on_time,
        count(
            *) filter (
            where d.is_ended and d.ended_date between p.period_start and p.period_end
            and not d.is_on_time
        ) as ended_late,
        count(
            *) filter (
            where not (d.is_ended and d.ended_date <= p.period_end)
            and d.trang_thai_ho_so not in ('7', '8')
            and (d.deadline_day is null or d.deadline_day >= p.period_end)
        ) as open_within_deadline,
        count(
            *) filter (
            where not (d.is_ended and d.ended_date <= p.period_end)
            and d.trang_thai_ho_so not in ('7', '8') and d.deadline_day < p.period_end
        ) as open_past_deadline
    from periods as p
    -- every count is of dossiers received by the period's end; of those received before the
    -- period, one that had ended before it counts nowhere, so it is not joined (the join is a
    -- period x dossier one: most pairs of a late period are such dossiers)
    inner join dossiers as d
        on
            p.period_end >= d.received_date
            and (p.period_start <= d.received_date or d.is_ended is not true or p.period_start <= d.ended_date)
    group by p.period_type, p.period_key, d.ma_tthc, d.unit_code
)

select
    period_type,
    period_key,
    ma_tthc,
    ten_tthc,
    unit_code,
    cast(carried_over as bigint) as carried_over,
    cast(new_in_person as bigint) as new_in_person,
    cast(new_online as bigint) as new_online,
    cast(new_postal as bigint) as new_postal,
    cast(ended_early as bigint) as ended_early,
    cast(ended_on_time as bigint) as ended_on_time,
    cast(ended_late as bigint) as ended_late,
    cast(open_within_deadline as bigint) as open_within_deadline,
    cast(open_past_deadline as bigint) as open_past_deadline
from counted
where carried_over + new_in_person + new_online + new_postal + ended_early + ended_on_time + ended_late
    + open_within_deadline + open_past_deadline > 0
