{#- The unit codes the warehouse knows (DOMAIN.md 7, "the form's unit code unknown to the
    warehouse"): the units reference, the units of the portal's data (DonViXuLy of the
    dossiers that count, CoQuanThucHien of the current catalogue) and the schools of the
    ministry's school list. `is_portal_unit` marks the units the portal's data names. -#}
with seeded as (
    select unit_code from {{ ref('units') }}
),

portal as (
    select distinct don_vi_xu_ly as unit_code
    from {{ ref('int_portal__dossiers_checked') }}
    where is_kept and {{ is_unit_code('don_vi_xu_ly') }}
    union
    select distinct co_quan_thuc_hien
    from {{ ref('int_portal__procedures_current') }}
    where {{ is_unit_code('co_quan_thuc_hien') }}
),

schools as (
    select school_code as unit_code from {{ ref('int_moet__school_list') }}
),

known as (
    select unit_code from seeded
    union
    select unit_code from portal
    union
    select unit_code from schools
)

select
    k.unit_code,
    k.unit_code in (select s.unit_code from seeded as s) as in_units_seed,
    k.unit_code in (select p.unit_code from portal as p) as is_portal_unit
from known as k
