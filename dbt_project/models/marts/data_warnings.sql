{#- Warnings (DOMAIN.md 3a): the record is kept and counts, but its unit is told. One row
    per record and warning. -#}
with dossiers as (
    select
        'portal.ho-so' as source_name,
        dossier_key as record_key,
        {{ unit_or_unknown('don_vi_xu_ly') }} as unit_code,
        unnest(string_split(warning_codes, ';')) as warning_code,
        _source as source_url,
        _page as source_page,
        _row as source_row
    from {{ ref('int_portal__dossiers_checked') }}
    where is_kept and warning_codes <> ''
),

-- a dossier whose online-payment flag disagrees with the payment exports (either way);
-- only once payment exports are loaded at all (without them every flag would "disagree")
payment_flags as (
    select
        'portal.ho-so',
        ma_ho_so,
        unit_code,
        'payment_flag_mismatch',
        source_url,
        source_page,
        source_row
    from {{ ref('fct_dossiers') }}
    where is_received and fee_total > 0 and paid_online_flag <> has_successful_payment
        and exists (select 1 from {{ ref('fct_fee_payments') }})
),

levels as (
    select
        'moet.assessments',
        {{ file_record_key('a') }},
        {{ unit_or_unknown('school_code') }},
        'level_label_mismatch',
        a.file_label,
        cast(null as integer),
        cast(a._row as integer)
    from {{ ref('int_moet__assessments_checked') }} as a
    where {{ kept() }}
        and (
            a.teaching_level_label is distinct from a.teaching_level and a.teaching_level_label is not null
            or a.management_level_label is distinct from a.management_level and a.management_level_label is not null
        )
),

statuses as (
    select
        'payments.transactions',
        {{ file_record_key('t') }},
        'UNKNOWN',
        'payment_status_unknown',
        t.file_label,
        cast(null as integer),
        cast(t._row as integer)
    from {{ ref('int_payments__transactions_checked') }} as t
    where {{ kept() }} and t.status is null
),

-- NFD text in a file is one warning per file and unit (a Windows-1258 export is NFD on
-- every row; listing each row would drown the rest), told to each unit with rows in it
file_warnings as (
    {%- for file_source in file_sources() if file_source.nfd_warning %}
    select
        '{{ file_source.source }}',
        file_label || ' [' || {{ unit_or_unknown(file_source.unit) }} || ']: ' || cast(count(*) as varchar) || ' dòng',
        {{ unit_or_unknown(file_source.unit) }},
        'file_text_not_nfc',
        file_label,
        cast(null as integer),
        cast(null as integer)
    from {{ ref(file_source.checked) }}
    where had_nfd_text and set_aside_reason is null
    group by file_label, {{ unit_or_unknown(file_source.unit) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- a report form's row whose Mã chỉ tiêu the form does not have (DOMAIN.md 7)
form_codes as (
    select
        'forms',
        {{ file_record_key('f') }},
        {{ unit_or_unknown('f.unit_code') }},
        'form_indicator_unknown',
        f.file_label,
        cast(null as integer),
        cast(f._row as integer)
    from {{ ref('int_forms__rows_checked') }} as f
    where f.is_indicator_unknown and {{ kept() }}
),

-- a declared count past the tolerance against the portal's figure (form_crosschecks); the
-- record key says the period, the count and both figures
form_mismatches as (
    select
        'forms',
        c.period_key || ' ' || c.check_code || ': kê khai ' || cast(c.declared as varchar)
        || ', hệ thống ' || cast(c.computed as varchar),
        c.unit_code,
        'declared_vs_portal_mismatch',
        i.source_file,
        cast(null as integer),
        i.source_row
    from {{ ref('form_crosschecks') }} as c
    inner join {{ ref('fct_form_indicators') }} as i
        on c.period_key = i.period_key and c.unit_code = i.unit_code and c.check_code = i.indicator_code
    where c.mismatch
),

all_warnings as (
    select * from dossiers
    union all
    select * from payment_flags
    union all
    select * from levels
    union all
    select * from statuses
    union all
    select * from file_warnings
    union all
    select * from form_codes
    union all
    select * from form_mismatches
)

select
    d.source_name,
    d.record_key,
    d.unit_code,
    d.warning_code,
    r.reason_vi as warning_vi,
    d.source_url || ' #' || cast(d.source_row as varchar) as source_location,
    d.source_url,
    d.source_page,
    d.source_row,
    not coalesce(r.fixed_by_warehouse, false) as needs_action
from all_warnings as d
left join {{ ref('quarantine_reasons') }} as r on d.warning_code = r.reason_code
