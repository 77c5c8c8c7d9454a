"""The units' report forms (DOMAIN.md 7): the submission table the office chases late units
with, and the cross-checks of the declared counts against the portal."""

from __future__ import annotations

from expectations.suite import E, Suite, unique_key_suite

STATUSES = ["on_time", "late", "missing", "not_due", "rejected"]


def _submissions():
    return [
        E.ExpectColumnValuesToNotBeNull(column="period_key"),
        E.ExpectColumnValuesToNotBeNull(column="unit_code"),
        E.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        E.ExpectColumnValuesToBeBetween(column="forms_received", min_value=0),
        # days late for a late report only, and a counted form exactly when one was sent on time or late
        E.ExpectColumnValuesToBeInSet(column="is_consistent", value_set=[True]),
    ]


def _crosschecks():
    return [
        E.ExpectColumnValuesToBeBetween(column="declared", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="computed", min_value=0),
        E.ExpectColumnValuesToBeInSet(column="is_consistent", value_set=[True]),
    ]


def _none():
    return [E.ExpectTableRowCountToEqual(value=0)]


SUITES = [
    Suite(
        "mart_form_submissions",
        "form_submissions",
        """select period_key, unit_code, status, forms_received,
                  (status = 'late') = coalesce(days_late > 0, false)
                  and (status in ('on_time', 'late')) = (report_date is not null and source_file is not null)
                  and (status not in ('missing', 'not_due') or forms_received = 0) as is_consistent
           from marts.form_submissions""",
        _submissions,
        blocking=True,
        description="Tình hình gửi báo cáo — statuses in the accepted set and consistent with the dates and files.",
    ),
    unique_key_suite(
        "mart_form_submissions_key",
        "form_submissions",
        "marts.form_submissions",
        ["period_key", "unit_code"],
        "Khóa tình hình gửi báo cáo — one row per reporting period and unit.",
    ),
    Suite(
        "mart_form_submissions_complete",
        "form_submissions",
        """select d.period_key, d.unit_code as missing_unit
           from intermediate.int_forms__units_due as d
           left join marts.form_submissions as s on s.period_key = d.period_key and s.unit_code = d.unit_code
           where d.plan_year_has_data and s.unit_code is null""",
        _none,
        blocking=True,
        description="Đủ đơn vị — every unit due for a reporting period has its row.",
    ),
    Suite(
        "mart_form_crosschecks",
        "form_crosschecks",
        """select period_key, unit_code, check_code, declared, computed,
                  difference = declared - computed
                  and mismatch = (abs(difference) > 2 and 100 * abs(difference) > computed) as is_consistent
           from marts.form_crosschecks""",
        _crosschecks,
        blocking=True,
        description="Đối chiếu số liệu kê khai — counts ≥ 0, difference and mismatch as DOMAIN.md 7 defines them.",
    ),
    unique_key_suite(
        "mart_form_crosschecks_key",
        "form_crosschecks",
        "marts.form_crosschecks",
        ["period_key", "unit_code", "check_code"],
        "Khóa đối chiếu — one row per period, unit and declared count.",
    ),
]
