{#- Tình hình gửi báo cáo định kỳ (DOMAIN.md 7): one row per official reporting period x
    unit due, for the periods whose plan year has data. `on_time` when the earliest Ngày
    báo cáo among the unit's valid forms for the period is on or before the due date;
    `late` when after (`days_late`); `missing` when no valid form came and the due date has
    passed (local time, at the run); `not_due` when none came and it has not; `rejected`
    when only quarantined forms (or rejected files naming the unit and period) came. -#}
with due as (
    select * from {{ ref('int_forms__units_due') }}
    where plan_year_has_data
),

forms as (
    select * from {{ ref('int_forms__forms') }}
    where unit_code is not null and period_key is not null
),

valid as (
    select
        unit_code,
        period_key,
        min(report_date) as first_report_date
    from forms
    where is_valid
    group by unit_code, period_key
),

counted as (
    select * from forms
    where is_counted
),

received as (
    select
        unit_code,
        period_key,
        count(distinct file_id) as forms_received,
        min(split_part(reason_codes, ';', 1)) filter (where not is_valid) as first_reason
    from forms
    group by unit_code, period_key
),

reasons as (
    select
        reason_code,
        reason_vi
    from {{ ref('quarantine_reasons') }}
),

units as (
    select
        unit_code,
        unit_name
    from {{ ref('dim_units') }}
),

judged as (
    select
        d.period_key,
        d.unit_code,
        coalesce(u.unit_name, d.unit_code) as unit_name,
        d.due_date,
        case
            when v.first_report_date <= d.due_date then 'on_time'
            when v.first_report_date > d.due_date then 'late'
            when r.forms_received > 0 then 'rejected'
            when {{ local_today() }} > d.due_date then 'missing'
            else 'not_due'
        end as status,
        c.report_date,
        v.first_report_date,
        c.seen_at as first_seen_at,
        coalesce(r.forms_received, 0) as forms_received,
        c.source_file,
        q.reason_vi as rejection_reason
    from due as d
    left join valid as v on d.unit_code = v.unit_code and d.period_key = v.period_key
    left join counted as c on d.unit_code = c.unit_code and d.period_key = c.period_key
    left join received as r on d.unit_code = r.unit_code and d.period_key = r.period_key
    left join reasons as q on r.first_reason = q.reason_code
    left join units as u on d.unit_code = u.unit_code
)

select
    period_key,
    unit_code,
    unit_name,
    due_date,
    status,
    report_date,
    cast(case when status = 'late' then date_diff('day', due_date, first_report_date) end as integer) as days_late,
    first_seen_at,
    forms_received,
    source_file,
    case status
        when 'on_time' then 'Đúng hạn'
        when 'late' then 'Nộp muộn ' || cast(date_diff('day', due_date, first_report_date) as varchar) || ' ngày'
        when 'missing' then 'Chưa gửi báo cáo, đã quá hạn'
        when 'not_due' then 'Chưa đến hạn gửi'
        when 'rejected' then 'Biểu mẫu bị loại: ' || coalesce(rejection_reason, 'xem danh sách cách ly')
    end
    || case when forms_received > 1 and report_date is not null
            then '; đã nhận ' || cast(forms_received as varchar) || ' bản, tính bản ngày '
                || strftime(report_date, '%d/%m/%Y')
        else ''
    end as note
from judged
