{#- One row per report form received (DOMAIN.md 7): every landed form file with its block
    judged (unit code known, period key official, Ngày báo cáo a date), and every rejected
    file of the forms folder with what it still said of its unit and period. Among the
    valid forms of a unit and period, the one with the latest Ngày báo cáo counts, and among
    equal dates the one the warehouse saw last; the others are superseded. A changed file
    at the same path is a new form like any other (DOMAIN.md 7 knows forms, not paths): its
    earlier version stays a form that was sent, and may be the one that was on time or
    the one that counts. An earlier version is named path@<start of its hash> wherever a
    row of it is listed, so that two versions of a path never share a location. -#}
with rows as (
    select * from {{ ref('stg_forms__rows') }}
),

files as (
    select * from {{ ref('stg_files__files') }}
    where folder = 'forms'
),

known_units as (
    select unit_code from {{ ref('int_forms__units_known') }}
),

periods as (
    select
        period_key,
        plan_year,
        cast(due_date as date) as due_date
    from {{ ref('reporting_periods') }}
),

-- the block, once per form (every row carries it; the block rows say where each label is)
blocks as (
    select
        _batch_id,
        any_value(_batch_seq) as _batch_seq,
        any_value(unit_code) as unit_code,
        any_value(period_key) as period_key,
        any_value(report_date_raw) as report_date_raw,
        any_value(report_date) as report_date,
        count(*) filter (where row_kind = 'indicator') as indicator_rows
    from rows
    group by _batch_id
),

landed as (
    select
        b._batch_id,
        b._batch_seq,
        f.file_id,
        case when f.is_current then f.path else f.path || '@' || left(f.file_id, 12) end as source_file,
        f.file_label,
        f.seen_at,
        f.is_current,
        'loaded' as file_status,
        b.unit_code,
        b.period_key,
        b.report_date_raw,
        b.report_date,
        b.indicator_rows,
        -- the rule each block label breaks (int_forms__rows_checked quarantines that label's row)
        case when u.unit_code is null then 'form_unit_unknown' end as unit_reason,
        case when p.period_key is null then 'form_period_unknown' end as period_reason,
        case when b.report_date is null then 'form_report_date_invalid' end as date_reason
    from blocks as b
    inner join files as f on b._batch_id = f.batch_id
    left join known_units as u on b.unit_code = u.unit_code
    left join periods as p on b.period_key = p.period_key
),

rejected as (
    select
        cast(null as varchar) as _batch_id,
        cast(null as bigint) as _batch_seq,
        f.file_id,
        f.path,
        f.file_label,
        f.seen_at,
        false,
        'rejected',
        upper(nullif(trim(nfc_normalize(f.declared_unit)), '')),
        upper(nullif(trim(nfc_normalize(f.declared_period)), '')),
        cast(null as varchar),
        cast(null as date),
        0,
        cast(null as varchar),
        cast(null as varchar),
        cast(null as varchar),
        f.reason_code
    from files as f
    where f.status = 'rejected'
),

forms as (
    select
        *,
        nullif(concat_ws(';', unit_reason, period_reason, date_reason), '') as reason_codes
    from landed
    union all
    select * from rejected
),

ranked as (
    select
        *,
        case when reason_codes is null then
                row_number() over (
                    partition by unit_code, period_key, reason_codes is null
                    order by report_date desc, _batch_seq desc
                )
        end as version_rank
    from forms
)

select
    r.*,
    p.plan_year,
    p.due_date,
    r.reason_codes is null as is_valid,
    coalesce(r.version_rank = 1, false) as is_counted
from ranked as r
left join periods as p on r.period_key = p.period_key
