"""Nothing lost: rows read = kept + quarantined + set aside, per batch."""

from __future__ import annotations

from expectations.suite import E, Suite, unique_key_suite


def _expectations():
    return [
        E.ExpectColumnValuesToBeInSet(column="is_balanced", value_set=[True]),
        E.ExpectColumnValuesToBeBetween(column="rows_unaccounted", min_value=0, max_value=0),
    ]


SUITES = [
    Suite(
        "mart_reconciliation",
        "reconciliation",
        "select batch_id, source, rows_read, rows_kept, rows_quarantined, rows_set_aside, rows_unaccounted, is_balanced "
        "from marts.reconciliation",
        _expectations,
        blocking=True,
        description="Đối soát — per batch, rows read = kept + quarantined + set aside.",
    ),
    unique_key_suite(
        "mart_reconciliation_key",
        "reconciliation",
        "marts.reconciliation",
        ["batch_id"],
        "Đối soát theo lô — one row per batch.",
    ),
]
