{#- Schools with history (DOMAIN.md 2.2): one row per school and version of its attributes.
    Each school list is a snapshot as of the date in its title rows (else the file's date);
    a version lasts from the first snapshot that shows it until the next change
    (`valid_to` exclusive, null while current). Facts dated before a school's first
    snapshot are attributed to its first version (`attributed_from`). -#}
with snapshots as (
    select
        school_code,
        school_name,
        school_level,
        school_type,
        managing_unit,
        district,
        commune,
        students,
        teachers,
        school_status,
        as_of_date,
        _batch_seq,
        file_label,
        md5(concat_ws(
            '|', school_name, school_level, school_type, managing_unit, district, commune,
            school_status
        )) as attributes_hash
    from {{ ref('int_moet__schools_checked') }}
    where {{ kept() }}
),

ordered as (
    select
        *,
        lag(attributes_hash) over (partition by school_code order by as_of_date, _batch_seq) as previous_hash
    from snapshots
),

changes as (
    select * from ordered
    where previous_hash is null or previous_hash <> attributes_hash
),

versions as (
    select
        *,
        row_number() over (partition by school_code order by as_of_date, _batch_seq) as version,
        lead(as_of_date) over (partition by school_code order by as_of_date, _batch_seq) as next_from
    from changes
)

select
    school_code,
    cast(version as integer) as version,
    as_of_date as valid_from,
    next_from as valid_to,
    case when version = 1 then date '1900-01-01' else as_of_date end as attributed_from,
    next_from is null as is_current,
    school_name,
    school_level,
    school_type,
    managing_unit,
    district,
    commune,
    students,
    teachers,
    school_status,
    file_label as source_file
from versions
where next_from is null or next_from > as_of_date
