"""What a report shows, read from a published warehouse only (``load``): the period's KPI
rows, the Decision 766 scorecard, the resolution table (``marts.report_resolution``), data
quality and the monthly trend. The workbook and the page are written from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from orchestration.reports.vietnamese import status_label_sql, status_order_sql
from orchestration.warehouse import connect


@dataclass(frozen=True)
class ReportData:
    period_key: str
    period_type: str
    start: date
    end: date
    kpis: list[tuple]
    s766: list[tuple]
    s766_total: list[tuple]
    resolution: list[tuple]
    quality: list[tuple]
    balance: list[tuple]
    files: list[tuple]
    rejected: list[tuple]
    withheld: list[tuple]
    monthly: list[tuple]
    release: tuple
    submissions: list[tuple]  # the units' report forms of an official reporting period (DOMAIN.md 7)
    label: str | None = None  # an official period's Vietnamese label
    # the days the data covers, when that is less than the period ("số liệu chưa đầy đủ"):
    # the portal's first dossier came after the period began, or it was published before its end
    covered: tuple[date | None, date] | None = None
    unit_names: dict[str, str] = field(default_factory=dict)  # unit code -> name (dim_units)


def report_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select distinct period_key from marts.kpi_scorecard where period_type = 'report' order by 1"
        ).fetchall()
    ]


def _period(con, period_key: str) -> tuple[str, date, date]:
    """(period_type, start, end) of a period of the published scorecard: an official
    reporting period (2024-BC-Q1) or a calendar one (2024-Q1, 2024-03, 2024)."""
    row = con.execute(
        """select period_type, min(period_start), max(period_end) from marts.kpi_scorecard
                         where period_key = ? and period_type <> 'school_year'
                         group by period_type order by period_type = 'report' desc limit 1""",
        [period_key],
    ).fetchone()
    if row is None:
        official = [k for (k,) in con.execute(
            "select distinct period_key from marts.kpi_scorecard where period_type = 'report' order by 1"
        ).fetchall()]  # fmt: skip
        raise UnknownPeriod(
            f"no period {period_key!r} in the published scorecard; official reporting periods: "
            f"{', '.join(official) or 'none'} (or a calendar period: 2024, 2024-Q1, 2024-03)"
        )
    return row


class UnknownPeriod(ValueError):
    """A period the publication has no figures for (the message names the ones it has)."""


def kpi_rows(con, period_type: str, period_key: str) -> list[tuple]:
    """The period's KPI rows for the whole department; school_digital_level2_share, which is
    counted by school year, comes from the school year ``marts.period_school_years`` gives
    the period (its key is written beside the KPI's name)."""
    return con.execute(
        """
        select k.plan_item,
               k.name_vi || case when s.period_type = 'school_year' then ' (năm học ' || s.period_key || ')' else '' end
                         || case when k.is_self_reported then ' (đơn vị tự báo cáo)' else '' end,
               s.kpi_code, s.numerator, s.denominator, s.value, s.target, s.met,
               s.reported_numerator, s.reported_denominator, s.reported_at, s.period_type, k.is_self_reported
        from marts.kpi_scorecard s join marts.dim_kpis k using (kpi_code)
        where s.unit_code = 'ALL'
          and ((s.period_type = $type and s.period_key = $key)
               or (s.period_type = 'school_year' and s.period_key = (
                   select school_year from marts.period_school_years
                   where period_type = $type and period_key = $key)))
        order by k.plan_item, s.kpi_code""",
        {"type": period_type, "key": period_key},
    ).fetchall()


def resolution_rows(con, period_type: str, period_key: str) -> list[tuple]:
    """The standard table of procedure resolution, per procedure and unit
    (``marts.report_resolution``, docs/decisions.md)."""
    return con.execute(
        """
        select ma_tthc, ten_tthc, unit_code, carried_over, new_in_person, new_online, new_postal,
               ended_early, ended_on_time, ended_late, open_within_deadline, open_past_deadline
        from marts.report_resolution where period_type = ? and period_key = ?
        order by unit_code, ma_tthc""",
        [period_type, period_key],
    ).fetchall()


def load(published: Path, period_key: str) -> ReportData:
    """Everything the report of ``period_key`` shows, from a published warehouse."""
    con = connect(published, read_only=True)  # the warehouse's connection: no progress bars in the run's log
    try:
        period_type, start, end = _period(con, period_key)
        kpis = kpi_rows(con, period_type, period_key)
        s766 = con.execute(
            """
            select g.name_vi, s.indicator_code, s.name_vi, s.numerator, s.denominator, s.rate, s.threshold,
                   s.max_points, s.points, s.note, s.group_code
            from marts.scorecard_766 s join marts.dim_766_groups g using (group_code)
            where s.period_type = ? and s.period_key = ? and s.unit_code = 'ALL'
            order by g.group_order, s.indicator_code""",
            [period_type, period_key],
        ).fetchall()
        # the groups in the portal's order by their Vietnamese names, "Tổng cộng" last
        s766_total = con.execute(
            """
            select g.name_vi, s.points, s.max_points_computable, s.group_code
            from marts.scorecard_766_summary s join marts.dim_766_groups g using (group_code)
            where s.period_type = ? and s.period_key = ? and s.unit_code = 'ALL' order by g.group_order""",
            [period_type, period_key],
        ).fetchall()
        resolution = resolution_rows(con, period_type, period_key)
        quality = con.execute("""
            select 'Cách ly' as kind, source_name, reason_code, any_value(reason_vi), count(*) from marts.quarantine group by all
            union all
            select 'Cảnh báo', source_name, warning_code, any_value(warning_vi), count(*) from marts.data_warnings group by all
            order by 1, 2, 3""").fetchall()
        balance = con.execute("""select source, sum(rows_read), sum(rows_kept), sum(rows_quarantined), sum(rows_set_aside)
                                 from marts.reconciliation group by source order by source""").fetchall()
        # DOMAIN.md 3a: rows read = kept + quarantined + set aside for every file
        files = con.execute("""select source_file, source, rows_read, rows_kept, rows_quarantined, rows_set_aside,
                                      rows_not_records_blank, rows_not_records_footer
                               from marts.reconciliation where source_file is not null
                               order by source_file, batch_seq""").fetchall()
        rejected = con.execute("""select record_key, reason_vi from marts.quarantine where source_name = 'files'
                                  order by 1""").fetchall()
        withheld = con.execute("""select distinct s.unit_code, coalesce(u.unit_name, s.unit_code), s.note
                                  from marts.kpi_scorecard s left join marts.dim_units u using (unit_code)
                                  where s.status = 'withheld' order by 1""").fetchall()
        monthly = con.execute(
            """
            select s.kpi_code, k.name_vi, s.period_key, s.value, s.target
            from marts.kpi_scorecard s join marts.dim_kpis k using (kpi_code)
            where s.period_type = 'month' and s.unit_code = 'ALL' and s.period_start <= ? and s.period_end >= ?
            order by s.kpi_code, s.period_key""",
            [end, start],
        ).fetchall()
        release = con.execute("select release_id, published_at from marts.release_info").fetchone()
        first_data = con.execute("select min(received_date) from marts.fct_dossiers").fetchone()[0]
        unit_names = dict(con.execute("select unit_code, unit_name from marts.dim_units").fetchall())
        label = con.execute(
            "select label_vi from marts.dim_reporting_periods where period_key = ?", [period_key]
        ).fetchone()
        submissions = con.execute(
            f"""select unit_code, unit_name, due_date, {status_label_sql()}, report_date, days_late,
                       forms_received, note
                from marts.form_submissions where period_key = ?
                order by {status_order_sql()}, unit_code""",
            [period_key],
        ).fetchall()
    finally:
        con.close()

    return ReportData(
        period_key,
        period_type,
        start,
        end,
        kpis,
        s766,
        s766_total,
        resolution,
        quality,
        balance,
        files,
        rejected,
        withheld,
        monthly,
        release,
        submissions,
        label[0] if label else None,
        coverage(start, end, first_data, release[1].date() if release[1] else None),
        unit_names,
    )


def coverage(start: date, end: date, first_data: date | None, published: date | None) -> tuple | None:
    """The days of [start, end] the data covers, or None when it covers the whole period:
    the portal's first dossier may come after the period began (a warehouse started
    mid-year), and a period not yet over when published has data up to that day only."""
    covered_from = None if first_data is None or first_data > end else max(start, first_data)
    covered_to = min(end, published) if published else end
    if covered_from == start and covered_to == end:
        return None
    return covered_from, covered_to
