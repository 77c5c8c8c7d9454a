"""Schools with history."""

from __future__ import annotations

from expectations.suite import E, Suite, unique_key_suite


def _expectations():
    return [
        E.ExpectColumnValuesToNotBeNull(column="school_code"),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="valid_to", column_B="valid_from", ignore_row_if="either_value_is_missing"
        ),
        # one current version per school
        E.ExpectColumnValuesToBeBetween(column="current_versions", min_value=1, max_value=1),
    ]


SUITES = [
    Suite(
        "mart_dim_schools",
        "dim_schools",
        """select school_code, valid_from, valid_to,
                    count(*) filter (where is_current) over (partition by school_code) as current_versions
             from marts.dim_schools""",
        _expectations,
        blocking=True,
        description="Danh mục trường — versions that follow one another, one current version per school.",
    ),
    unique_key_suite(
        "mart_dim_schools_key",
        "dim_schools",
        "marts.dim_schools",
        ["school_code", "version"],
        "Phiên bản trường duy nhất — one row per school and version.",
    ),
]
