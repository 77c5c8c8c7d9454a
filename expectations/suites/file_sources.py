"""The staged ministry and payment exports (DOMAIN.md 2.2, 2.3). Bad rows are expected
here (they are quarantined downstream), so these suites measure the sources and warn; the
publication rule on a source's quarantined share is a blocking dbt test. Raw is
append-only, so a daily run validates the batches landed since (``SINCE``)."""

from __future__ import annotations

from expectations.suite import SINCE, E, Suite

LEVELS = ["Mầm non", "Tiểu học", "THCS", "THPT", "Liên cấp", "GDTX"]


def _schools():
    return [
        E.ExpectColumnValuesToNotBeNull(column="_source"),
        E.ExpectColumnValuesToNotBeNull(column="school_code", mostly=0.99),
        E.ExpectColumnValuesToBeInSet(column="school_level", value_set=LEVELS, mostly=0.95),
        E.ExpectColumnValuesToNotBeNull(column="managing_unit", mostly=0.99),
    ]


def _assessments():
    return [
        E.ExpectColumnValuesToNotBeNull(column="school_code", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="school_year", mostly=0.99),
        E.ExpectColumnValuesToBeBetween(column="teaching_score", min_value=0, max_value=100, mostly=0.99),
        E.ExpectColumnValuesToBeBetween(column="management_score", min_value=0, max_value=100, mostly=0.99),
    ]


def _transactions():
    return [
        E.ExpectColumnValuesToNotBeNull(column="transaction_code", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="amount", mostly=0.99),
        E.ExpectColumnValuesToBeInSet(column="status", value_set=["success", "failed", "pending"], mostly=0.99),
    ]


def _collections():
    return [
        E.ExpectColumnValuesToNotBeNull(column="school_code", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="amount", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="method", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="collected_on", mostly=0.99),
    ]


SUITES = [
    Suite(
        "source_moet_schools",
        "stg_moet__schools",
        "select _source, school_code, school_level, managing_unit from staging.stg_moet__schools",
        _schools,
        blocking=False,
        description="Danh sách trường nguồn — staged school lists: codes, levels and managing units present.",
    ),
    Suite(
        "source_moet_assessments",
        "stg_moet__assessments",
        "select school_code, school_year, teaching_score, management_score from staging.stg_moet__assessments",
        _assessments,
        blocking=False,
        description="Tự đánh giá CĐS nguồn — staged assessments: scores in 0-100, a school year.",
    ),
    Suite(
        "source_payment_transactions",
        "stg_payments__transactions",
        "select transaction_code, amount, coalesce(status, status_text) as status, _batch_seq "
        "from staging.stg_payments__transactions",
        _transactions,
        blocking=False,
        description="Giao dịch nguồn — staged payments: a code, an amount that parses, a known status.",
        since=SINCE,
    ),
    Suite(
        "source_school_collections",
        "int_payments__collections_parsed",
        # every landed collection row as staged, parsed once (the staging view parses every
        # row on every read: the input print of its 20 M rows parsed them all each day)
        "select school_code, amount, method, collected_on, _batch_seq from intermediate.int_payments__collections_parsed",
        _collections,
        blocking=False,
        description="Khoản thu nguồn — staged collections: amount, method and date that parse.",
        since=SINCE,
    ),
]
