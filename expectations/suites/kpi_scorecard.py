"""The published scorecard (DOMAIN.md 3 and the publication rules of 3a)."""

from __future__ import annotations

from expectations.suite import E, Suite, schema_suite, unique_key_suite


def _rows():
    return [
        E.ExpectColumnValuesToNotBeNull(column="period_key"),
        E.ExpectColumnValuesToNotBeNull(column="unit_code"),
        E.ExpectColumnValuesToBeInSet(
            column="period_type", value_set=["month", "quarter", "year", "report", "school_year"]
        ),
        E.ExpectColumnValuesToBeInSet(column="status", value_set=["ok", "withheld"]),
        # count KPIs: a value in [0, 1] and a numerator no greater than the denominator
        E.ExpectColumnValuesToBeBetween(column="count_value", min_value=0, max_value=1),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="denominator", column_B="count_numerator", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        E.ExpectColumnValuesToBeBetween(column="count_numerator", min_value=0),
    ]


def _completeness():
    # every KPI present for every period that has data: no row of this query may exist
    return [E.ExpectTableRowCountToEqual(value=0)]


# The published contract (DOMAIN.md 3): these columns and no others.
SCORECARD_COLUMNS = [
    "period_type",
    "period_key",
    "period_start",
    "period_end",
    "unit_code",
    "kpi_code",
    "numerator",
    "denominator",
    "value",
    "target",
    "met",
    "status",
    "note",
    "reported_numerator",
    "reported_denominator",
    "reported_at",
]

SUITES = [
    schema_suite(
        "mart_kpi_scorecard_schema",
        "kpi_scorecard",
        "marts.kpi_scorecard",
        SCORECARD_COLUMNS,
        "Cấu trúc bảng chỉ số — the scorecard has exactly the contract's columns.",
    ),
    Suite(
        "mart_kpi_scorecard",
        "kpi_scorecard",
        """select s.period_type, s.period_key, s.unit_code, s.kpi_code, s.status, s.numerator, s.denominator,
                    case when k.measure = 'count' then s.value end as count_value,
                    -- an amount KPI (school_cashless_rate) may be negative or above 1 after refunds
                    case when k.measure = 'count' then s.numerator end as count_numerator
             from marts.kpi_scorecard as s join reference.kpi_definitions as k using (kpi_code)""",
        _rows,
        blocking=True,
        description="Bảng chỉ số — scorecard rows: values in [0, 1], numerator ≤ denominator.",
    ),
    unique_key_suite(
        "mart_kpi_scorecard_key",
        "kpi_scorecard",
        "marts.kpi_scorecard",
        ["period_type", "period_key", "unit_code", "kpi_code"],
        "Khóa bảng chỉ số — one row per period, unit and KPI.",
    ),
    Suite(
        "mart_kpi_scorecard_complete",
        "kpi_scorecard",
        """with expected as (
                 select p.period_type, p.period_key, k.kpi_code
                 from intermediate.int_periods as p
                 join (select distinct d.day, d.kpi_code from intermediate.int_kpi_daily d) as k
                   on k.day between p.period_start and p.period_end
                 union
                 select p.period_type, p.period_key, k.kpi_code
                 from intermediate.int_periods as p
                 cross join (select distinct kpi_code from intermediate.int_portal__procedure_facts) as k
             )
             select e.period_type, e.period_key, e.kpi_code as missing_kpi
             from expected as e
             left join marts.kpi_scorecard as s
               on s.period_type = e.period_type and s.period_key = e.period_key
              and s.kpi_code = e.kpi_code and s.unit_code = 'ALL'
             where s.kpi_code is null""",
        _completeness,
        blocking=True,
        description="Đủ chỉ số — every KPI with data in a period has its ALL row in that period.",
    ),
]
