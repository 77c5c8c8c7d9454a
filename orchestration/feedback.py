"""Feedback to units: one workbook per unit listing its quarantined and warned records,
with Vietnamese labels and the reason in Vietnamese beside its code (DESIGN.md:
``feedback/<unit_code>.xlsx``; a code that is not a plain code gets a safe file name,
``orchestration.escaping.file_stem``). Every value is written as text, never a formula. Written from a publication's own marts, so the office sends
back exactly what was published."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from orchestration.escaping import file_stem, inside, text_cell
from orchestration.reports.vietnamese import status_label_sql
from orchestration.reports.workbook import print_on_a4

QUARANTINE_COLUMNS = [
    ("STT", None),
    ("Nguồn dữ liệu", "source_name"),
    ("Mã bản ghi", "record_key"),
    ("Mã lỗi", "reason_code"),
    ("Lý do", "reason_vi"),
    ("Tất cả mã lỗi", "reason_codes"),
    ("Vị trí trong nguồn", "source_location"),
    ("Bản ghi như đã nhận (đã loại dữ liệu cá nhân)", "record"),
]
SUBMISSION_COLUMNS = [
    ("STT", None),
    ("Kỳ báo cáo", "period_key"),
    ("Hạn gửi", "strftime(due_date, '%d/%m/%Y')"),
    ("Tình trạng", "status_vi"),
    ("Ngày báo cáo", "strftime(report_date, '%d/%m/%Y')"),
    ("Số ngày muộn", "days_late"),
    ("Số bản đã nhận", "forms_received"),
    ("Tệp được tính", "source_file"),
    ("Ghi chú", "note"),
]
WARNING_COLUMNS = [
    ("STT", None),
    ("Nguồn dữ liệu", "source_name"),
    ("Mã bản ghi", "record_key"),
    ("Mã cảnh báo", "warning_code"),
    ("Nội dung cảnh báo", "warning_vi"),
    ("Vị trí trong nguồn", "source_location"),
]


def _bold(ws, value):
    cell = text_cell(ws, value)
    cell.font = Font(bold=True)
    return cell


def _sheet(wb: Workbook, title: str, heading: str, columns, rows) -> None:
    ws = wb.create_sheet(title)
    # widths set before the rows (a write-only sheet): each column as wide as its longest
    # value, within bounds, so that the sheet reads without resizing
    for j, (label, _) in enumerate(columns):
        longest = max([len(label), *(len(str(r[j - 1])) for r in rows if j and r[j - 1] is not None)])
        ws.column_dimensions[get_column_letter(j + 1)].width = 6 if j == 0 else min(max(longest + 2, 10), 60)
    print_on_a4(ws, "landscape")
    ws.append([_bold(ws, heading)])
    ws.append([])
    ws.append([_bold(ws, label) for label, _ in columns])
    for i, row in enumerate(rows, start=1):
        ws.append([i, *(text_cell(ws, v) for v in row)])


def write_feedback(con: duckdb.DuckDBPyConnection, target: Path, department: str) -> dict[str, Path]:
    """Write ``<target>/<unit_code>.xlsx`` for every unit with a quarantined or warned record
    or a report form due (its submission status per period: what the office chases)."""
    target.mkdir(parents=True, exist_ok=True)
    units = con.execute("""
        select u.unit_code, coalesce(d.unit_name, u.unit_code)
        from (select unit_code from marts.quarantine union select unit_code from marts.data_warnings
              union select unit_code from marts.form_submissions) as u
        left join marts.dim_units as d using (unit_code)
        order by 1""").fetchall()
    s_cols = ", ".join(c if c != "status_vi" else status_label_sql() for _, c in SUBMISSION_COLUMNS if c)
    q_cols = ", ".join(c for _, c in QUARANTINE_COLUMNS if c)
    w_cols = ", ".join(c for _, c in WARNING_COLUMNS if c)
    today = datetime.now().strftime("%d/%m/%Y")
    written = {}
    for unit_code, unit_name in units:
        wb = Workbook(write_only=True)
        quarantined = con.execute(
            f"select {q_cols} from marts.quarantine where unit_code = ? order by source_name, source_location",
            [unit_code],
        ).fetchall()
        warned = con.execute(
            f"select {w_cols} from marts.data_warnings where unit_code = ? "
            "order by source_name, source_location, warning_code",
            [unit_code],
        ).fetchall()
        _sheet(
            wb,
            "Hồ sơ bị cách ly",
            f"{department} — DANH SÁCH BẢN GHI BỊ CÁCH LY CẦN ĐIỀU CHỈNH — {unit_name} ({unit_code}) — ngày {today}",
            QUARANTINE_COLUMNS,
            quarantined,
        )
        submitted = con.execute(
            f"select {s_cols} from marts.form_submissions where unit_code = ? order by due_date desc, period_key",
            [unit_code],
        ).fetchall()
        _sheet(
            wb,
            "Tình hình gửi báo cáo",
            f"{department} — TÌNH HÌNH GỬI BÁO CÁO CCHC ĐỊNH KỲ — {unit_name} ({unit_code}) — ngày {today}",
            SUBMISSION_COLUMNS,
            submitted,
        )
        _sheet(
            wb,
            "Cảnh báo",
            f"{department} — DANH SÁCH CẢNH BÁO DỮ LIỆU — {unit_name} ({unit_code}) — ngày {today}",
            WARNING_COLUMNS,
            warned,
        )
        # a unit code is data: the file name is a safe encoding of it (escaping.file_stem)
        path = inside(target, f"{file_stem(unit_code)}.xlsx")
        wb.save(path)
        written[unit_code] = path
    return written
