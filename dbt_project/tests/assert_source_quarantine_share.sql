{#- Publication rule: a source whose quarantined share passes the configured threshold
    (var source_quarantine_threshold, default 20 %) blocks publication. The share is of the
    records that count (latest versions; set-aside copies excluded). -#}
with counted as (
    select
        source,
        sum(rows_kept) as kept,
        sum(rows_quarantined) as quarantined
    from {{ ref('reconciliation') }}
    group by source
)

select
    source,
    kept,
    quarantined,
    1.0 * quarantined / nullif(kept + quarantined, 0) as quarantined_share
from counted
where 1.0 * quarantined / nullif(kept + quarantined, 0) > {{ var('source_quarantine_threshold') }}
