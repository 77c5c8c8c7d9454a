"""School collections that count."""

from __future__ import annotations

from expectations.suite import E, Suite

METHODS = ["cash", "bank_transfer", "e_wallet", "card", "qr"]


def _expectations():
    return [
        E.ExpectColumnValuesToNotBeNull(column="school_code"),
        E.ExpectColumnValuesToNotBeNull(column="amount"),
        E.ExpectColumnValuesToNotBeNull(column="collected_on"),
        E.ExpectColumnValuesToBeInSet(column="method", value_set=METHODS),
        # is_cash agrees with the method
        E.ExpectColumnValuesToBeInSet(column="cash_flag_disagrees", value_set=[False]),
    ]


SUITES = [
    Suite(
        "mart_fct_school_collections",
        "fct_school_collections",
        """select school_code, amount, collected_on, method, is_cash <> (method = 'cash') as cash_flag_disagrees,
                  _checked_at
             from marts.fct_school_collections""",
        _expectations,
        blocking=True,
        description="Khoản thu được tính — counted collections: a school, an amount, a date, one of the five methods.",
        # tens of millions of rows: a daily run validates the rows checked since (docs/decisions.md)
        since="_checked_at",
    ),
]
