"""Online fee payments that count."""

from __future__ import annotations

from expectations.suite import E, Suite, unique_key_suite


def _expectations():
    return [
        E.ExpectColumnValuesToNotBeNull(column="dossier_code"),
        E.ExpectColumnValuesToBeBetween(column="amount", min_value=1),
        E.ExpectColumnValuesToBeInSet(column="status", value_set=["success", "failed", "pending", "unknown"]),
    ]


SUITES = [
    Suite(
        "mart_fct_fee_payments",
        "fct_fee_payments",
        "select dossier_code, amount, status from marts.fct_fee_payments",
        _expectations,
        blocking=True,
        description="Giao dịch được tính — counted payments: a dossier, a positive amount, a known status.",
    ),
    unique_key_suite(
        "mart_fct_fee_payments_key",
        "fct_fee_payments",
        "marts.fct_fee_payments",
        ["transaction_code"],
        "Mã giao dịch duy nhất — each counted transaction once.",
    ),
]
