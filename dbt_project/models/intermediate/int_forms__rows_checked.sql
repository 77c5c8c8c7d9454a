{#- The report forms' rows with the row rules of DOMAIN.md 7.

    A bad block row (the form's unit code unknown, its period key not official, its Ngày
    báo cáo missing or not a date) is quarantined and quarantines the whole form: its other
    rows count nowhere and are set aside as `form_not_counted` (the block row says why).
    The rows of a valid form that does not count (a later or corrected form replaced it)
    are set aside as `form_superseded`. In the form that counts, a table row is quarantined
    for a number that does not parse or is negative, a rate with one of its two numbers, a
    numerator above its denominator, or a code written on several rows; an unknown code is
    a warning (kept, counting nowhere). Every row is listed under the form's unit, located
    file!sheet#row with the file's path inside the drop folder. -#}
with rows as (
    select * from {{ ref('stg_forms__rows') }}
),

forms as (
    select * from {{ ref('int_forms__forms') }}
    where file_status = 'loaded'
),

indicators as (
    select
        indicator_code,
        kind
    from {{ ref('form_indicators') }}
),

judged as (
    select
        r.* exclude (unit_code),
        r.unit_code,
        f.source_file as file_label,
        f.is_valid as form_is_valid,
        f.is_counted as form_is_counted,
        f.reason_codes as form_reason_codes,
        i.kind as indicator_kind,
        case r.block_field
            when 'ma_don_vi' then f.unit_reason
            when 'ky_bao_cao' then f.period_reason
            when 'ngay_bao_cao' then f.date_reason
        end as block_reason,
        r.row_kind = 'indicator' and r.indicator_code is not null
        and count(*) over (partition by r._batch_id, r.row_kind, r.indicator_code) > 1 as is_repeated
    from rows as r
    inner join forms as f on r._batch_id = f._batch_id
    left join indicators as i on r.indicator_code = i.indicator_code
),

flagged as (
    select
        *,
        numerator_raw is not null and numerator is null
        or denominator_raw is not null and denominator is null as is_number_invalid,
        indicator_kind = 'rate' and (numerator_raw is null) <> (denominator_raw is null) as is_rate_incomplete,
        indicator_kind = 'rate' and numerator > denominator as is_above_denominator
    from judged
)

select
    *,
    case
        when block_reason is not null then null
        when not form_is_valid then 'form_not_counted'
        when not form_is_counted then 'form_superseded'
    end as set_aside_reason,
    case
        when block_reason is not null then block_reason
        when row_kind = 'indicator' and form_is_counted
            then concat_ws(
                    ';',
                    case when is_number_invalid then 'form_number_invalid' end,
                    case when numerator < 0 or denominator < 0 then 'form_number_negative' end,
                    case when is_rate_incomplete then 'form_rate_incomplete' end,
                    case when is_above_denominator then 'form_numerator_above_denominator' end,
                    case when is_repeated then 'form_indicator_repeated' end
                )
        else ''
    end as reason_codes,
    row_kind = 'indicator' and indicator_kind is null as is_indicator_unknown
from flagged
