"""The units' periodic report forms (DOMAIN.md 7): the pre-filled forms a publication sends
out, and the submission table the office chases late units with.

A pre-filled form (``forms/<period_key>/<unit_code>.xlsx``) is what the intake reads back
(``connectors.exports.forms``): sheet ``Báo cáo``, the Decree 30 header with the unit's
name, the period's label and due date; the block of labels (``Mã đơn vị`` and ``Kỳ báo
cáo`` filled in, ``Ngày báo cáo``, ``Người lập biểu`` and ``Điện thoại`` left to the unit);
the table of section 7 (``Mã chỉ tiêu``, ``Tên chỉ tiêu``, ``Tử số``, ``Mẫu số``) with the
portal's own figures for the unit and period beside the four declared counts, for
reference. The sheet is protected: only the cells to fill are open, and they accept whole
numbers ≥ 0. It prints on one A4 page.

Everything is read from a published warehouse (``marts.form_units_due``,
``marts.form_portal_figures``, ``marts.dim_form_indicators``, ``marts.form_submissions``): the office sends out exactly
what was published.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from orchestration.escaping import file_stem, inside, put
from orchestration.reports.vietnamese import STATUS_VI, status_order_sql, vn_date
from orchestration.reports.workbook import print_on_a4

log = logging.getLogger(__name__)

FORM_SHEET = "Báo cáo"
TABLE_HEADINGS = (
    "STT",
    "Mã chỉ tiêu",
    "Tên chỉ tiêu",
    "Tử số",
    "Mẫu số",
    "Số liệu trên Hệ thống (tham khảo)",
    "Ghi chú",
)
WIDTHS = (5, 29, 46, 11, 11, 14, 12)
BLOCK_ROW = 10  # Mã đơn vị; then Kỳ báo cáo, Ngày báo cáo, Người lập biểu, Điện thoại
HEADER_ROW = 16
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
OPEN = Protection(locked=False)
TO_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a unit fills
NOT_USED = PatternFill("solid", fgColor="D9D9D9")


@dataclass(frozen=True)
class UnitDue:
    period_key: str
    period_label: str
    period_start: date
    period_end: date
    due_date: date
    unit_code: str
    unit_name: str
    figures: dict[str, int]


@dataclass(frozen=True)
class Indicator:
    code: str
    kind: str
    name: str
    numerator: str
    denominator: str


def form_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The official reporting periods of the latest plan year with data: the forms every
    publication writes."""
    return [
        r[0]
        for r in con.execute(
            """select distinct period_key from marts.form_units_due
               where plan_year = (select max(plan_year) from marts.form_units_due where plan_year_has_data)
               order by 1"""
        ).fetchall()
    ]


def _indicators(con) -> list[Indicator]:
    return [
        Indicator(*r)
        for r in con.execute(
            "select indicator_code, kind, name_vi, numerator_vi, denominator_vi from marts.dim_form_indicators "
            "order by row_order"
        ).fetchall()
    ]


def units_due(con, period_key: str) -> list[UnitDue]:
    """The units due for a period, each with the portal's figures behind its declared counts
    (``marts.form_portal_figures``, by the form's check code; none means zero)."""
    figures: dict[str, dict[str, int]] = {}
    for unit_code, check_code, computed in con.execute(
        "select unit_code, check_code, computed from marts.form_portal_figures where period_key = ?", [period_key]
    ).fetchall():
        figures.setdefault(unit_code, {})[check_code] = computed
    rows = con.execute(
        """select period_key, period_label, period_start, period_end, due_date, unit_code, unit_name
           from marts.form_units_due where period_key = ? order by unit_code""",
        [period_key],
    ).fetchall()
    return [UnitDue(*r, figures.get(r[5], {})) for r in rows]


def known_period(con, period_key: str) -> bool:
    return (
        con.execute("select 1 from marts.dim_reporting_periods where period_key = ?", [period_key]).fetchone()
        is not None
    )


def write_form(path: Path, unit: UnitDue, indicators: list[Indicator], department: str) -> Path:
    """One unit's pre-filled form for one period (the module's docstring)."""
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def merged(row: int, first: int, last: int, value, **font) -> None:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        cell = put(ws, row, first, value)
        cell.alignment = centre
        if font:
            cell.font = Font(**font)

    # Decree 30/2020 header: the body above the unit, the unit, the national motto
    merged(1, 1, 3, department.upper())
    merged(2, 1, 3, unit.unit_name.upper(), bold=True)
    merged(3, 1, 3, "Số: ……/BC-……")
    merged(1, 4, 7, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    merged(2, 4, 7, "Độc lập - Tự do - Hạnh phúc", bold=True, underline="single")
    merged(3, 4, 7, "……, ngày …… tháng …… năm ……", italic=True)
    merged(5, 1, 7, "BÁO CÁO", bold=True, size=14)
    merged(6, 1, 7, f"Kết quả thực hiện công tác cải cách hành chính — {unit.period_label}", bold=True)
    merged(
        7,
        1,
        7,
        f"Số liệu từ ngày {vn_date(unit.period_start)} đến ngày {vn_date(unit.period_end)}; "
        f"hạn gửi: ngày {vn_date(unit.due_date)}",
        italic=True,
    )
    merged(8, 1, 7, f"Kính gửi: {department}")

    # the block: a label, its value in the next cell (DOMAIN.md 7)
    block = [
        ("Mã đơn vị", unit.unit_code, False),
        ("Kỳ báo cáo", unit.period_key, False),
        ("Ngày báo cáo (ngày/tháng/năm)", None, True),
        ("Người lập biểu", None, True),
        ("Điện thoại", None, True),
    ]
    for offset, (label, value, to_fill) in enumerate(block):
        row = BLOCK_ROW + offset
        put(ws, row, 2, label).font = Font(bold=True)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
        cell = put(ws, row, 3, value)
        cell.border = BOX
        if to_fill:
            cell.protection = OPEN
            cell.fill = TO_FILL
    ws.cell(BLOCK_ROW + 2, 3).number_format = "dd/mm/yyyy"
    report_date = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="36526",  # 01/01/2000
        allow_blank=True,
        errorStyle="warning",
        errorTitle="Ngày báo cáo",
        error="Nhập ngày theo dạng ngày/tháng/năm, ví dụ 05/03/2024.",
    )
    report_date.add(f"C{BLOCK_ROW + 2}")
    ws.add_data_validation(report_date)

    # the table of section 7
    for col, heading in enumerate(TABLE_HEADINGS, start=1):
        cell = put(ws, HEADER_ROW, col, heading)
        cell.font = Font(bold=True)
        cell.border = BOX
        cell.alignment = centre
    ws.row_dimensions[HEADER_ROW].height = 44
    counts = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Số liệu không hợp lệ",
        error="Nhập số nguyên không âm (ví dụ 1250). Để trống nếu không có số liệu.",
    )
    ws.add_data_validation(counts)
    for i, indicator in enumerate(indicators, start=1):
        row = HEADER_ROW + i
        if indicator.kind == "rate":
            name = f"{indicator.name}\nTử số: {indicator.numerator}\nMẫu số: {indicator.denominator}"
        else:
            name = f"{indicator.name} (chỉ ghi cột Tử số)"
        values = [i, indicator.code, name, None, None, None, None]
        if indicator.kind == "declared":
            values[5] = unit.figures.get(indicator.code, 0)
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value)
            cell.border = BOX
            cell.alignment = Alignment(vertical="center", wrap_text=col == 3, horizontal="center" if col != 3 else None)
        ws.cell(row, 6).number_format = "#,##0"
        fillable = (4, 5) if indicator.kind == "rate" else (4,)
        for col in (4, 5):
            cell = ws.cell(row, col)
            cell.number_format = "#,##0"
            if col in fillable:
                cell.protection = OPEN
                cell.fill = TO_FILL
                counts.add(cell.coordinate)
            else:
                cell.fill = NOT_USED
        ws.cell(row, 7).protection = OPEN
        ws.row_dimensions[row].height = 80 if indicator.kind == "rate" else 32
    last = HEADER_ROW + len(indicators)
    ws.merge_cells(start_row=last + 2, start_column=1, end_row=last + 2, end_column=7)
    note = put(
        ws,
        last + 2,
        1,
        "Ghi chú: ô nền vàng là ô đơn vị điền; để trống chỉ tiêu không có số liệu. Cột 'Số liệu trên Hệ thống' là số "
        "liệu của Hệ thống thông tin giải quyết TTHC cho đơn vị trong kỳ, chỉ để tham khảo. Không đổi tên trang "
        "'Báo cáo' và không sửa cột Mã chỉ tiêu.",
    )
    note.alignment = Alignment(wrap_text=True, vertical="top")
    note.font = Font(italic=True, size=9)
    ws.row_dimensions[last + 2].height = 40
    put(ws, last + 4, 3, "NGƯỜI LẬP BIỂU").font = Font(bold=True)
    ws.merge_cells(start_row=last + 4, start_column=5, end_row=last + 4, end_column=7)
    put(ws, last + 4, 5, "THỦ TRƯỞNG ĐƠN VỊ").font = Font(bold=True)
    ws.cell(last + 4, 3).alignment = ws.cell(last + 4, 5).alignment = Alignment(horizontal="center")
    put(ws, last + 5, 3, "(Ký, ghi rõ họ tên)").alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=last + 5, start_column=5, end_row=last + 5, end_column=7)
    put(ws, last + 5, 5, "(Ký, ghi rõ họ tên, đóng dấu)").alignment = Alignment(horizontal="center")

    ws.protection.sheet = True  # only the cells to fill are open; no password: this is guidance
    print_on_a4(ws, "portrait", pages_high=1)
    ws.print_area = f"A1:G{last + 9}"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_forms(con: duckdb.DuckDBPyConnection, target: Path, department: str, periods: list[str]) -> list[Path]:
    """``target/<period_key>/<unit_code>.xlsx`` for every unit due in each period."""
    indicators = _indicators(con)
    written = []
    for period_key in periods:
        folder = inside(target, file_stem(period_key))
        folder.mkdir(parents=True, exist_ok=True)
        for unit in units_due(con, period_key):
            written.append(
                write_form(inside(folder, f"{file_stem(unit.unit_code)}.xlsx"), unit, indicators, department)
            )
    return written


def submissions(con: duckdb.DuckDBPyConnection, period_key: str) -> list[tuple]:
    """The period's submission table (marts.form_submissions): late and missing first."""
    return con.execute(
        f"""select unit_code, unit_name, status, report_date, days_late, forms_received, note, due_date
           from marts.form_submissions where period_key = ?
           order by {status_order_sql()}, unit_code""",
        [period_key],
    ).fetchall()


def format_submissions(period_key: str, label: str | None, rows: list[tuple]) -> str:
    """The submission table as the office reads it, in Vietnamese."""
    if not rows:
        return f"Kỳ {period_key}: không có đơn vị nào phải gửi báo cáo trong bản công bố này."
    due = rows[0][7]
    lines = [f"TÌNH HÌNH GỬI BÁO CÁO — {label or period_key} ({period_key}), hạn gửi {vn_date(due)}"]
    counts = {}
    for r in rows:
        counts[r[2]] = counts.get(r[2], 0) + 1
    lines.append(
        "Tổng số đơn vị phải gửi: "
        + f"{len(rows)}; "
        + "; ".join(
            f"{STATUS_VI[s]}: {n}" for s, n in sorted(counts.items(), key=lambda kv: list(STATUS_VI).index(kv[0]))
        )
    )
    width = max(len(r[1]) for r in rows)
    width = min(max(width, 12), 60)
    lines.append(f"{'Mã đơn vị':<16} {'Tên đơn vị':<{width}} {'Tình trạng':<20} {'Ngày báo cáo':<12} Ghi chú")
    for unit_code, unit_name, status, report_date, _days, _n, note, _due in rows:
        lines.append(
            f"{unit_code:<16} {unit_name[:width]:<{width}} {STATUS_VI[status]:<20} "
            f"{vn_date(report_date) if report_date else '':<12} {note or ''}"
        )
    return "\n".join(lines)
