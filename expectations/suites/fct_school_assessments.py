"""Digital-transformation self-assessments that count."""

from __future__ import annotations

from expectations.suite import E, Suite, unique_key_suite


def _expectations():
    return [
        E.ExpectColumnValuesToBeBetween(column="teaching_score", min_value=0, max_value=100),
        E.ExpectColumnValuesToBeBetween(column="management_score", min_value=0, max_value=100),
        E.ExpectColumnValuesToBeInSet(column="teaching_level", value_set=[1, 2, 3]),
        E.ExpectColumnValuesToBeInSet(column="management_level", value_set=[1, 2, 3]),
        # the level is the score's (QĐ 4725): Mức 1 below 50, Mức 2 from 50 to 75, Mức 3 above
        E.ExpectColumnValuesToBeInSet(column="level_disagrees", value_set=[False]),
    ]


SUITES = [
    Suite(
        "mart_fct_school_assessments",
        "fct_school_assessments",
        """select cast(teaching_score as double) as teaching_score, cast(management_score as double) as management_score,
                    teaching_level, management_level,
                    teaching_level <> case when teaching_score < 50 then 1 when teaching_score <= 75 then 2 else 3 end
                    or management_level <> case when management_score < 50 then 1 when management_score <= 75 then 2
                                                else 3 end as level_disagrees
             from marts.fct_school_assessments""",
        _expectations,
        blocking=True,
        description="Tự đánh giá được tính — counted assessments: scores in 0-100, levels computed from them.",
    ),
    unique_key_suite(
        "mart_fct_school_assessments_key",
        "fct_school_assessments",
        "marts.fct_school_assessments",
        ["school_code", "school_year"],
        "Một kết quả mỗi trường mỗi năm học — one per school and year.",
    ),
]
