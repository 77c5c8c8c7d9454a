{#- Units from the seed (names and hierarchy, with validity), plus any unit code the data
    carries that the seed does not know yet (named as unknown, so it is visible). -#}
with seeded as (
    select
        unit_code,
        unit_name,
        nullif(parent_unit_code, '') as parent_unit_code,
        unit_level,
        cast(valid_from as date) as valid_from,
        cast(nullif(cast(valid_to as varchar), '') as date) as valid_to,
        true as in_seed
    from {{ ref('units') }}
),

seen as (
    select unit_code from {{ ref('fct_dossiers') }}
    union
    select unit_code from {{ ref('dim_procedures') }}
    union
    select unit_code from {{ ref('int_unit_quality') }}
)

select * from seeded
union all
select
    s.unit_code,
    'Đơn vị chưa có trong danh mục (' || s.unit_code || ')' as unit_name,
    null as parent_unit_code,
    'unknown' as unit_level,
    null as valid_from,
    null as valid_to,
    false as in_seed
from seen as s
where s.unit_code not in (select unit_code from seeded)
