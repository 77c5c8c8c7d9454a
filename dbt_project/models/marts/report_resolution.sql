{#- The standard table of procedure resolution (tình hình giải quyết TTHC) per period,
    procedure and unit, as the report shows it (docs/decisions.md, "Reports"): dossiers
    carried over, newly received by channel, ended early / on time / late, and still open
    within or past their deadline at the period's end. Withdrawn (7) and stopped (8)
    dossiers are neither carried over nor open.

    Counted from each dossier's days, not from every period against every dossier (docs/
    decisions.md, "report_resolution counts days"): a dossier gives a few dated changes
    (`changes`), and a period's figure is a sum of them over its days. What holds at a day t
    (carried over at the period's start, open at its end) is +1 on the day it starts to hold
    and -1 on the day it stops, summed over the days up to t; what happens in the period
    (received, ended) is +1 on its day, summed over the period's days. Every end is clamped
    to its start, so a dossier whose dates are out of order (ended before it was received)
    adds nothing where the definition counts nothing; DuckDB's `greatest` and `least` pass
    over a null (no end, no deadline). The hand-computed unit test holds for the direct
    reading too (each period joined with each dossier it counts), and the two gave the same
    rows at 1 M dossiers. -#}
with dossiers as (
    select
        ma_tthc,
        ten_tthc,
        unit_code,
        kenh_thuc_hien,
        received_date,
        is_ended,
        ended_date,
        trang_thai_ho_so not in ('7', '8') as can_be_open,
        cast(effective_deadline as date) as deadline_day,
        -- how it ended: early on a day before its deadline's, on time otherwise (no deadline
        -- included), late when not on time
        case
            when is_ended and is_on_time and ended_date < deadline_day then 'early'
            when is_ended and is_on_time then 'on_time'
            when is_ended and not is_on_time then 'late'
        end as ended_as
    from {{ ref('fct_dossiers') }}
    where is_received
),

-- the days a dossier's standing changes, a row a change: `day` is the change's day;
-- `from_day`, the day that must fall in the period, differs from it only for an end dated
-- before receipt, which the definition counts in a period that holds both days. `new_by`
-- (a channel) and `ended_as` mark a dossier received or ended that day; the other columns
-- are +1 where what they count starts to hold that day, -1 where it stops
changes as (
    -- received: new in the period by its channel, and open (within its deadline) from that day
    select
        ma_tthc,
        unit_code,
        received_date as day,
        received_date as from_day,
        kenh_thuc_hien as new_by,
        cast(null as varchar) as ended_as,
        0 as carried_over,
        cast(can_be_open as int) as open_within_deadline,
        0 as open_past_deadline
    from dossiers
    union all
    -- ended: in the period that holds its end (and its receipt)
    select
        ma_tthc,
        unit_code,
        greatest(received_date, ended_date),
        ended_date,
        null,
        ended_as,
        0,
        0,
        0
    from dossiers
    where is_ended
    union all
    -- carried over into a period that starts after the day it was received ...
    select
        ma_tthc,
        unit_code,
        received_date + 1,
        null,
        null,
        null,
        1,
        0,
        0
    from dossiers
    where can_be_open
    union all
    -- ... until one that starts after the day it ended
    select
        ma_tthc,
        unit_code,
        greatest(received_date, ended_date) + 1,
        null,
        null,
        null,
        -1,
        0,
        0
    from dossiers
    where can_be_open and is_ended
    union all
    -- no longer open within its deadline once it ended or the deadline's day passed
    select
        ma_tthc,
        unit_code,
        greatest(received_date, least(ended_date, deadline_day + 1)),
        null,
        null,
        null,
        0,
        -1,
        0
    from dossiers
    where can_be_open and (is_ended or deadline_day is not null)
    union all
    -- open past its deadline from the day after it ...
    select
        ma_tthc,
        unit_code,
        greatest(received_date, deadline_day + 1),
        null,
        null,
        null,
        0,
        0,
        1
    from dossiers
    where can_be_open and deadline_day is not null
    union all
    -- ... until it ended
    select
        ma_tthc,
        unit_code,
        greatest(received_date, deadline_day + 1, ended_date),
        null,
        null,
        null,
        0,
        0,
        -1
    from dossiers
    where can_be_open and deadline_day is not null and is_ended
),

by_day as (
    select
        ma_tthc,
        unit_code,
        day,
        from_day,
        sum(carried_over) as carried_over,
        count(*) filter (where new_by = '1') as new_in_person,
        count(*) filter (where new_by = '2') as new_online,
        count(*) filter (where new_by = '3') as new_postal,
        count(*) filter (where ended_as = 'early') as ended_early,
        count(*) filter (where ended_as = 'on_time') as ended_on_time,
        count(*) filter (where ended_as = 'late') as ended_late,
        sum(open_within_deadline) as open_within_deadline,
        sum(open_past_deadline) as open_past_deadline
    from changes
    group by all
),

names as (
    select
        ma_tthc,
        unit_code,
        min(ten_tthc) as ten_tthc
    from dossiers
    group by all
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
    -- what holds at a day is the sum of the changes up to that day (carried over: the
    -- period's start; open: its end); what happens in the period, the sum of the changes
    -- from its start (to its end, as every change joined)
    select
        p.period_type,
        p.period_key,
        c.ma_tthc,
        c.unit_code,
        coalesce(sum(c.carried_over) filter (where c.day <= p.period_start), 0) as carried_over,
        coalesce(sum(c.new_in_person) filter (where c.from_day >= p.period_start), 0) as new_in_person,
        coalesce(sum(c.new_online) filter (where c.from_day >= p.period_start), 0) as new_online,
        coalesce(sum(c.new_postal) filter (where c.from_day >= p.period_start), 0) as new_postal,
        coalesce(sum(c.ended_early) filter (where c.from_day >= p.period_start), 0) as ended_early,
        coalesce(sum(c.ended_on_time) filter (where c.from_day >= p.period_start), 0) as ended_on_time,
        coalesce(sum(c.ended_late) filter (where c.from_day >= p.period_start), 0) as ended_late,
        sum(c.open_within_deadline) as open_within_deadline,
        sum(c.open_past_deadline) as open_past_deadline
    from periods as p
    inner join by_day as c on p.period_end >= c.day
    group by all
)

select
    c.period_type,
    c.period_key,
    c.ma_tthc,
    n.ten_tthc,
    c.unit_code,
    cast(c.carried_over as bigint) as carried_over,
    cast(c.new_in_person as bigint) as new_in_person,
    cast(c.new_online as bigint) as new_online,
    cast(c.new_postal as bigint) as new_postal,
    cast(c.ended_early as bigint) as ended_early,
    cast(c.ended_on_time as bigint) as ended_on_time,
    cast(c.ended_late as bigint) as ended_late,
    cast(c.open_within_deadline as bigint) as open_within_deadline,
    cast(c.open_past_deadline as bigint) as open_past_deadline
from counted as c
inner join names as n on c.ma_tthc is not distinct from n.ma_tthc and c.unit_code = n.unit_code
where
    c.carried_over + c.new_in_person + c.new_online + c.new_postal + c.ended_early + c.ended_on_time
    + c.ended_late + c.open_within_deadline + c.open_past_deadline > 0
