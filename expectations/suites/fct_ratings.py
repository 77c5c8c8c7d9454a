"""Ratings that count."""

from __future__ import annotations

from expectations.suite import E, Suite, unique_key_suite


def _expectations():
    return [
        E.ExpectColumnValuesToNotBeNull(column="ma_danh_gia"),
        E.ExpectColumnValuesToNotBeNull(column="ngay_danh_gia"),
        E.ExpectColumnValuesToBeInSet(column="muc_do_hai_long", value_set=["1", "2", "3"]),
        E.ExpectColumnValuesToNotBeNull(column="ma_ho_so"),
    ]


SUITES = [
    Suite(
        "mart_fct_ratings",
        "fct_ratings",
        "select ma_danh_gia, ngay_danh_gia, muc_do_hai_long, ma_ho_so from marts.fct_ratings",
        _expectations,
        blocking=True,
        # a changed rating's row is replaced: a daily run validates the rows not seen pass (docs/decisions.md)
        seen_rows=True,
        description="Đánh giá được tính — counted ratings: a date, a level in 1-3.",
    ),
    unique_key_suite(
        "mart_fct_ratings_key",
        "fct_ratings",
        "marts.fct_ratings",
        ["ma_danh_gia"],
        "Mã đánh giá duy nhất — each counted rating once.",
    ),
]
