{#- Ratings: the copy of each MaDanhGia landed last counts (DOMAIN.md 3a); other copies
    are set aside. When the counting content was landed more than once, its first copy
    stands for it, so a rerun that re-reads it keeps the same source location. The counting
    copy is checked against the row rules. A rating belongs to the unit of the rated
    dossier (its latest version).

    Incremental (macros/incremental.sql, as the portal's dossier chain): a rating's outcome
    changes only with its own copies and with its dossier. A run takes again every rating
    (all its copies) that a new landing batch brings a copy of, or whose dossier was checked
    since this table's newest stamp (a new dossier, a new version, another unit), and
    replaces its rows by key. Ratings are never removed (raw is append-only), so a key
    replaced always has rows to put back. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='rating_key',
        on_schema_change='append_new_columns'
    )
}}
with all_ratings as (
    select
        *,
        coalesce(ma_danh_gia, '#' || payload_hash) as rating_key
    from {{ ref('int_portal__rating_versions') }}
),

ratings as (
    select * from all_ratings
    {% if incremental_over(['_checked_at']) %}
    where rating_key in (
            select a.rating_key from all_ratings as a
            where
                a._batch_seq > (select max(t._batch_seq) from {{ this }} as t)
                or a.ma_ho_so in (
                    select d.ma_ho_so from {{ ref('int_portal__dossiers_checked') }} as d
                    where d._checked_at > (select max(t._checked_at) from {{ this }} as t)
                )
        )
    {% endif %}
),

copies as (
    select
        *,
        row_number() over (partition by rating_key, payload_hash order by _landing_seq) as copy_no,
        first_value(payload_hash) over (partition by rating_key order by _landing_seq desc) as counting_hash
    from ratings
),

ranked as (
    select
        *,
        case when payload_hash = counting_hash and copy_no = 1 then 1 else 2 end as copy_rank
    from copies
),

rated as (
    select distinct ma_ho_so from ratings
    where ma_ho_so is not null
),

landed_dossiers as (
    select distinct ma_ho_so from {{ ref('int_portal__dossier_versions') }}
    where ma_ho_so in (select r.ma_ho_so from rated as r)
),

dossier_units as (
    select
        ma_ho_so,
        don_vi_xu_ly
    from {{ ref('int_portal__dossiers_checked') }}
    where ma_ho_so in (select r.ma_ho_so from rated as r)
)

select
    r.*,
    case when {{ is_unit_code('u.don_vi_xu_ly') }} then u.don_vi_xu_ly end as unit_code,
    case
        when r.copy_rank > 1 and r.payload_hash = r.counting_hash then 'exact_reread'
        when r.copy_rank > 1 then 'superseded_copy'
    end as set_aside_reason,
    case when r.copy_rank = 1 then concat_ws(
                ';',
                case when not r.is_object then 'record_not_object' end,
                case when r.is_object and coalesce(r.has_non_text_field, false) then 'field_not_text' end,
                case when r.muc_do_hai_long is null or r.muc_do_hai_long not in ('1', '2', '3')
                        then 'rating_level_invalid'
                end,
                case when r.ngay_danh_gia is null then 'rating_date_invalid' end,
                case when d.ma_ho_so is null then 'rating_dossier_unknown' end
            )
    end as reason_codes,
    {{ run_time() }} as _checked_at
from ranked as r
left join landed_dossiers as d on r.ma_ho_so = d.ma_ho_so
left join dossier_units as u on r.ma_ho_so = u.ma_ho_so
