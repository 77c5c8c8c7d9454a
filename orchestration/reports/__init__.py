"""The administrative-reform report of a reporting period, from the published marts only:
``reports/<period_key>.xlsx`` (``workbook``: the header of an administrative document,
Decree 30/2020) and ``reports/<period_key>.html`` (``page``: each KPI's monthly trend
against its target, inline SVG). ``data`` reads what both show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.reports.data import load, report_periods
from orchestration.reports.page import render_page
from orchestration.reports.vietnamese import ReportHeader, header_from, vn_date, vn_number, vn_percent
from orchestration.reports.workbook import partial_text, write_workbook
from orchestration.runlog import vietnam_time

__all__ = ["ReportHeader", "header_from", "report_periods", "vn_date", "vn_number", "vn_percent", "write_report"]


def write_report(
    published: Path, period_key: str, target_dir: Path, header: ReportHeader, today: date | None = None
) -> tuple[Path, Path]:
    """Write ``<target_dir>/<period_key>.xlsx`` and ``.html`` from a published warehouse."""
    today = today or vietnam_time().date()  # the document's date is the department's (UTC+7)
    data = load(published, period_key)
    target_dir.mkdir(parents=True, exist_ok=True)
    # an official period by its Vietnamese label ("Báo cáo quý I năm 2024"), else its key
    title = f"Kết quả thực hiện công tác cải cách hành chính — {data.label or 'kỳ ' + period_key}"
    subtitle = f"(Số liệu từ ngày {vn_date(data.start)} đến ngày {vn_date(data.end)}; bản công bố {data.release[0]})"
    xlsx = write_workbook(data, header, title, subtitle, today, target_dir / f"{period_key}.xlsx")
    page = target_dir / f"{period_key}.html"
    partial = partial_text(data) if data.covered else None
    page.write_text(
        render_page(header, title, subtitle, data.kpis, data.monthly, data.submissions, partial), encoding="utf-8"
    )
    return xlsx, page
