{#- Which landed row stands for each dossier (DOMAIN.md 3, "Versions").

    - An exact re-read (the same MaHoSo with the same payload landed again) is set aside;
      the first landed copy stands for it, so reruns keep the same source location.
    - Of the distinct versions, the latest counts: greatest NgayCapNhat, then landed last
      (a version's landing is that of its last copy).
    - A version whose NgayCapNhat is missing or does not parse cannot be placed in time:
      it counts as the latest only when it landed after every version that can be placed
      (the source sent it last), and is then quarantined by the row rules.

    Incremental (macros/incremental.sql, the portal's dossier chain): a run ranks again every
    version of each dossier a batch landed since brought, and replaces that dossier's rows. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='dossier_key',
        on_schema_change='append_new_columns'
    )
}}
with versions as (
    select * from {{ ref('int_portal__dossier_versions') }}
    {% if incremental_over(['_checked_at']) %}
    where dossier_key in (
            select dossier_key from {{ ref('int_portal__dossier_versions') }}
            where _batch_seq > (select coalesce(max(_batch_seq), 0) from {{ this }})
        )
    {% endif %}
),

copies as (
    select
        *,
        row_number() over (partition by dossier_key, payload_hash order by _landing_seq) as copy_no,
        max(_landing_seq) over (partition by dossier_key, payload_hash) as content_landing
    from versions
),

distinct_versions as (
    select
        *,
        max(case when ngay_cap_nhat is not null then content_landing end)
            over (partition by dossier_key) as last_dated_landing
    from copies
    where copy_no = 1
),

ranked as (
    select
        *,
        row_number() over (
            partition by dossier_key
            order by
                case when ngay_cap_nhat is null
                        and content_landing > coalesce(last_dated_landing, -1) then 1
                    else 0
                end desc,
                ngay_cap_nhat desc nulls last,
                content_landing desc
        ) as version_rank
    from distinct_versions
)

select
    c._batch_id,
    c._batch_seq,
    c._row_seq,
    c.dossier_key,
    case
        when c.copy_no > 1 then 'exact_reread'
        when r.version_rank > 1 then 'superseded_version'
    end as set_aside_reason,
    coalesce(r.version_rank = 1, false) as is_latest,
    {{ run_time() }} as _checked_at
from copies as c
left join ranked as r
    on c._batch_seq = r._batch_seq and c._row_seq = r._row_seq
