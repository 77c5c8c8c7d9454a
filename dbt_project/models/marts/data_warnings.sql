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
    where is_valid and warning_codes <> ''
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
        file_label || '!' || coalesce(_sheet, '') || '#' || cast(_row as varchar),
        {{ unit_or_unknown('school_code') }},
        'level_label_mismatch',
        file_label,
        cast(null as integer),
        cast(_row as integer)
    from {{ ref('int_moet__assessments_checked') }}
    where set_aside_reason is null and reason_codes = ''
      and (teaching_level_label is distinct from teaching_level and teaching_level_label is not null
           or management_level_label is distinct from management_level and management_level_label is not null)
),

statuses as (
    select
        'payments.transactions',
        file_label || '!' || coalesce(_sheet, '') || '#' || cast(_row as varchar),
        'UNKNOWN',
        'payment_status_unknown',
        file_label,
        cast(null as integer),
        cast(_row as integer)
    from {{ ref('int_payments__transactions_checked') }}
    where set_aside_reason is null and reason_codes = '' and status is null
),

-- NFD text in a file is one warning per file and unit (a Windows-1258 export is NFD on
-- every row; listing each row would drown the rest), told to each unit with rows in it
{%- set nfd_sources = [('moet.schools', 'int_moet__schools_checked', 'school_code'),
                       ('payments.transactions', 'int_payments__transactions_checked', 'unit_code'),
                       ('payments.collections', 'int_payments__collections_checked', 'school_code')] %}
file_warnings as (
    {%- for source_name, model, unit in nfd_sources %}
    select
        '{{ source_name }}',
        file_label || ' [' || {{ unit_or_unknown(unit) }} || ']: ' || cast(count(*) as varchar) || ' dòng',
        {{ unit_or_unknown(unit) }},
        'file_text_not_nfc',
        file_label,
        cast(null as integer),
        cast(null as integer)
    from {{ ref(model) }}
    where had_nfd_text and set_aside_reason is null
    group by file_label, {{ unit_or_unknown(unit) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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
    d.source_row
from all_warnings as d
left join {{ ref('quarantine_reasons') }} as r on d.warning_code = r.reason_code
