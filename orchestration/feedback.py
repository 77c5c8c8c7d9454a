"""Feedback to units: one workbook per unit (``feedback/<unit_code>.xlsx``; a code that is
not a plain code gets a safe file name, ``orchestration.escaping.file_stem``) that a unit
can act on without a developer beside it:

- each sheet carries the department's header, the unit's name once, the date, one line on
  what to do; column widths, a frozen header row and filters; it prints on A4 landscape
  with the header row on every page;
- *Hồ sơ bị cách ly*: one row per quarantined record with its key fields as columns (the
  dossier's code, procedure and dates; the file and row of an export) and the reason in
  Vietnamese; the record as received (personal data removed) in the last column;
- *Tình hình gửi báo cáo*: the unit's report forms per period;
- *Cảnh báo*: the warnings the unit can act on, one row each; what the warehouse already
  corrected by itself (NFD text, seed ``quarantine_reasons.fixed_by_warehouse``) is a count
  per file or source at the end, not thousands of rows.

Every value is written as text, never a formula. Written from a publication's own marts,
so the office sends back exactly what was published. A unit whose workbook would say what
its workbook in the current release says (the same rows, name and layout) keeps that file
(a hard link, as an unchanged mart's Parquet file): its date is the day it was prepared."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from orchestration.escaping import file_stem, inside, text_cell, xml_cell
from orchestration.reports.vietnamese import source_label, status_label_sql
from orchestration.reports.workbook import FONT, print_on_a4, use_times_new_roman, wrapped_lines
from orchestration.runlog import vietnam_time

# A value of the record as received, by the names the sources use (portal, exports, forms)
_DOSSIER = "coalesce(json_extract_string(record, '$.MaHoSo'), json_extract_string(record, '$.ma_ho_so'))"
# a portal time (yyyyMMddHHmmss) as dd/mm/yyyy HH:MM; anything else (a bad date) as received
_PORTAL_TIME = "coalesce(strftime(try_strptime({v}, '%Y%m%d%H%M%S'), '%d/%m/%Y %H:%M'), {v})"


# where a unit finds the record: the portal's page, or the file (its row is a column of its own)
_PAGE_OR_FILE = "case when source_name like 'portal.%' then 'Trang ' || source_page else source_url end"


def _first(*names: str) -> str:
    return "coalesce(" + ", ".join(f"json_extract_string(record, '$.{n}')" for n in names) + ")"


# (column heading, SQL over marts.quarantine, width): the key fields a unit finds the record by
QUARANTINE_COLUMNS = [
    ("Nguồn dữ liệu", "source_name", 22),
    ("Mã hồ sơ", _DOSSIER, 28),
    ("Mã bản ghi khác (đánh giá, giao dịch, biên lai, trường)", _first("MaDanhGia", "ma_giao_dich", "so_bien_lai", "ma_truong"), 20),
    ("Thủ tục hành chính", "concat_ws(' – ', " + _first("MaTTHC", "ma_tthc") + ", " + _first("TenTTHC") + ")", 32),
    ("Ngày nộp / giao dịch / thu", _PORTAL_TIME.format(v=_first("NgayNopHoSo", "NgayDanhGia", "thoi_gian_giao_dich", "ngay_thu", "ngay_danh_gia", "ngay_bao_cao")), 16),
    ("Ngày tiếp nhận", _PORTAL_TIME.format(v=_first("NgayTiepNhan")), 16),
    ("Tệp / trang của Cổng", _PAGE_OR_FILE, 30),
    ("Dòng", "source_row", 8),
    ("Lý do", "reason_vi", 50),
    ("Mã lỗi", "reason_codes", 22),
    ("Bản ghi như đã nhận (đã loại dữ liệu cá nhân)", "record", 60),
]  # fmt: skip
SUBMISSION_COLUMNS = [
    ("Kỳ báo cáo", "period_key", 14),
    ("Hạn gửi", "strftime(due_date, '%d/%m/%Y')", 12),
    ("Tình trạng", "status_vi", 20),
    ("Ngày báo cáo", "strftime(report_date, '%d/%m/%Y')", 13),
    ("Số ngày muộn", "days_late", 10),
    ("Số bản đã nhận", "forms_received", 10),
    ("Tệp được tính", "source_file", 36),
    ("Ghi chú", "note", 60),
]
WARNING_COLUMNS = [
    ("Nguồn dữ liệu", "source_name", 24),
    ("Mã bản ghi", "record_key", 32),
    ("Nội dung cảnh báo", "warning_vi", 60),
    ("Vị trí trong nguồn", _PAGE_OR_FILE, 36),
    ("Dòng", "source_row", 8),
    ("Mã cảnh báo", "warning_code", 24),
]
FIXED_COLUMNS = [
    ("Đã được hệ thống tự chuẩn hóa (đơn vị không cần xử lý)", "warning_vi", 60),
    ("Tệp / nguồn", "source", 40),
    ("Số bản ghi", "n", 12),
]
HEADING_FILL = PatternFill("solid", fgColor="E8EEF5")


def _bold(ws, value, size: float = 12):
    cell = text_cell(ws, value)
    cell.font = Font(name=FONT, size=size, bold=True)
    return cell


def _sheet(
    wb: Workbook, tables: list, title: str, heading: str, advice: str, head: list[str], columns, rows, extra=None
):
    """One sheet: the department's header, the unit once, what to do, then the table with
    its header row frozen, filtered and printed on every page (``extra``: a second small
    table under it, unfiltered). One line a record (a list to filter, not to read wrapped);
    the record as received, the last column, is on screen only, not printed.

    The table's rows are a marker row here, added to ``tables`` and written into the saved
    workbook by ``_save``: openpyxl makes and writes a cell object at a time, about 100 µs a
    row, and the largest units have tens of thousands of rows (their workbooks were most of
    a daily publication). The marker is a text starting like a formula, so its cell carries
    the style such a text takes, which the rows' cells then use (``escaping.xml_cell``)."""
    ws = wb.create_sheet(title)
    widths = [6, *(width for _, _, width in columns)]
    for j, (_, _, width) in enumerate(extra[0] if extra else [], start=1):
        widths[j] = max(widths[j], width)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    table_row = 6  # under the department, the heading, the unit and what to do
    # the header row as tall as its longest wrapped label (a write-only sheet: set before the row)
    labels = [("STT", 6), *((label, width) for label, _, width in columns)]
    ws.row_dimensions[table_row].height = 15 * max(wrapped_lines(label, width) for label, width in labels)
    ws.freeze_panes = f"A{table_row + 1}"
    last = get_column_letter(len(columns) + 1)
    ws.auto_filter.ref = f"A{table_row}:{last}{table_row + max(len(rows), 1)}"
    print_on_a4(ws, "landscape", title_rows=f"{table_row}:{table_row}")
    printed = len(columns) if columns[-1][1] == "record" else len(columns) + 1
    last_row = table_row + max(len(rows), 1) + (len(extra[1]) + 2 if extra else 0)
    ws.print_area = f"A1:{get_column_letter(printed)}{last_row}"
    parent, department, unit = head
    ws.append([text_cell(ws, parent)])
    ws.append([_bold(ws, department)])
    ws.append([_bold(ws, heading, 13)])
    ws.append([_bold(ws, unit)])
    ws.append([text_cell(ws, advice)])
    ws.append([_heading(ws, "STT"), *(_heading(ws, label) for label, _, _ in columns)])
    if rows:
        ws.append([text_cell(ws, f"=cchc-table-{len(tables)}")])
        tables.append(rows)
    else:
        ws.append([text_cell(ws, "–"), text_cell(ws, "Không có")])
    if extra:
        labels, extra_rows = extra
        ws.append([])
        ws.append([_heading(ws, "STT"), *(_heading(ws, label) for label, _, _ in labels)])
        for i, row in enumerate(extra_rows, start=1):
            ws.append([text_cell(ws, i), *(text_cell(ws, v) for v in row)])


_MARKER_ROW = re.compile(
    r'<row r="(?P<row>\d+)"[^>]*><c r="A(?P=row)" s="(?P<style>\d+)" t="inlineStr"><is><t>'
    r"=cchc-table-(?P<table>\d+)</t></is></c></row>"
)
_CELL_ROW = re.compile(r'(<row r="|<c r="[A-Z]+)(\d+)"')
_CHUNK = 2000  # rows a write


def _save(wb: Workbook, tables: list[list[tuple]], path: Path) -> None:
    """Save ``wb`` to ``path`` with its ``tables``' rows written in place of their marker rows
    (the rows under a table moved down to make room)."""
    saved = io.BytesIO()
    wb.save(saved)
    letters = [get_column_letter(j) for j in range(1, 64)]
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for member in source.infolist():
            data = source.read(member)
            sheet = data.decode() if member.filename.startswith("xl/worksheets/") else ""
            found = _MARKER_ROW.search(sheet)
            if found is None:
                out.writestr(member, data)
                continue
            first = int(found["row"])
            rows, style = tables[int(found["table"])], int(found["style"])
            end = sheet.index("</sheetData>", found.end())
            moved = len(rows) - 1
            below = _CELL_ROW.sub(lambda m, by=moved: f'{m[1]}{int(m[2]) + by}"', sheet[found.end() : end])
            with out.open(member.filename, "w") as written:
                written.write(sheet[: found.start()].encode())
                for start in range(0, len(rows), _CHUNK):
                    xml = []
                    for i, row in enumerate(rows[start : start + _CHUNK], start=start):
                        r = first + i
                        cells = "".join(xml_cell(f"{letters[j + 1]}{r}", v, style) for j, v in enumerate(row))
                        xml.append(f'<row r="{r}"><c r="A{r}" t="n"><v>{i + 1}</v></c>{cells}</row>')
                    written.write("".join(xml).encode("utf-8", "replace"))
                written.write((below + sheet[end:]).encode())


def _heading(ws, label: str):
    cell = _bold(ws, label, 11)
    cell.fill = HEADING_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    return cell


def _by_unit(con: duckdb.DuckDBPyConnection, query: str, label_source: bool = False) -> dict[str, list[tuple]]:
    """The rows of ``query`` (its first column the unit code, ordered by it) by unit, without
    the code; ``label_source``: the next column is a source name, shown by its label."""
    found: dict[str, list[tuple]] = {}
    for unit_code, *row in con.execute(query).fetchall():
        if label_source:
            row[0] = source_label(row[0])
        found.setdefault(unit_code, []).append(tuple(row))
    return found


@dataclass(frozen=True)
class Feedback:
    paths: dict[str, Path]  # unit code -> its workbook
    prints: dict[str, str]  # unit code -> what its workbook says, as one hash (without the date)
    kept: int  # workbooks linked from the release before, unchanged


# What the workbooks' layout is made of: a change to any of these writes every workbook again.
_LAYOUT_FILES = [Path(__file__), *(Path(__file__).parent / "reports" / f for f in ("workbook.py", "vietnamese.py"))]


def write_feedback(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    department: str,
    parent_body: str = "Ủy ban nhân dân tỉnh",
    before: Path | None = None,
    prints_before: dict[str, str] | None = None,
) -> Feedback:
    """Write ``<target>/<unit_code>.xlsx`` for every unit with a quarantined or warned record
    or a report form due (its submission status per period: what the office chases). A unit
    whose print is the one ``prints_before`` has for it gets its workbook in ``before``
    linked instead (the current release's feedback folder)."""
    target.mkdir(parents=True, exist_ok=True)
    layout = hashlib.sha256(b"".join(f.read_bytes() for f in _LAYOUT_FILES)).hexdigest()
    prints_before = prints_before or {}
    units = con.execute("""
        select u.unit_code, d.unit_name
        from (select unit_code from marts.quarantine union select unit_code from marts.data_warnings
              union select unit_code from marts.form_submissions) as u
        left join marts.dim_units as d using (unit_code)
        order by 1""").fetchall()
    s_cols = ", ".join(c if c != "status_vi" else status_label_sql() for _, c, _ in SUBMISSION_COLUMNS)
    q_cols = ", ".join(c for _, c, _ in QUARANTINE_COLUMNS)
    w_cols = ", ".join(c for _, c, _ in WARNING_COLUMNS)
    today = vietnam_time().strftime("%d/%m/%Y")  # the department's day (UTC+7)
    # one query a sheet for every unit (not one a unit: hundreds of units), rows by unit
    quarantined = _by_unit(
        con,
        f"select unit_code, {q_cols} from marts.quarantine "
        "order by unit_code, source_name, source_url, source_page, source_row",
        label_source=True,
    )
    submitted = _by_unit(
        con, f"select unit_code, {s_cols} from marts.form_submissions order by unit_code, due_date desc, period_key"
    )
    warned = _by_unit(
        con,
        f"select unit_code, {w_cols} from marts.data_warnings where needs_action "
        "order by unit_code, source_name, source_url, source_page, source_row, warning_code",
        label_source=True,
    )
    fixed = _by_unit(
        con,
        """select unit_code, warning_vi,
                  case when source_name like 'portal.%' then source_name else source_url end as source,
                  count(*) as n
           from marts.data_warnings where not needs_action
           group by all order by 1, 3, 2""",
    )
    written, prints, kept = {}, {}, 0
    for unit_code, unit_name in units:
        # the unit once: its name and code, or its code alone when the catalogue lacks it
        if unit_name and unit_code not in unit_name:
            unit = f"Đơn vị: {unit_name} (mã {unit_code})"
        else:  # not in the catalogue (dim_units names it by its code): the code once
            unit = f"Đơn vị, trường mã {unit_code}: chưa có trong danh mục đơn vị, trường của Sở"
        # a unit code is data: the file name is a safe encoding of it (escaping.file_stem)
        path = inside(target, f"{file_stem(unit_code)}.xlsx")
        rows = [quarantined.get(unit_code), submitted.get(unit_code), warned.get(unit_code), fixed.get(unit_code)]
        said = json.dumps([layout, parent_body, department, unit, rows], ensure_ascii=False, default=str)
        written[unit_code], prints[unit_code] = path, hashlib.sha256(said.encode()).hexdigest()
        unchanged = before / path.name if before is not None else None
        if prints_before.get(unit_code) == prints[unit_code] and unchanged is not None and unchanged.is_file():
            os.link(unchanged.resolve(), path)  # what the current release sends the unit, as it is
            kept += 1
            continue
        head = [parent_body.upper(), department.upper(), f"{unit} — ngày lập {today}"]
        wb, tables = Workbook(write_only=True), []
        use_times_new_roman(wb, 11)
        _sheet(
            wb,
            tables,
            "Hồ sơ bị cách ly",
            "DANH SÁCH HỒ SƠ, BẢN GHI BỊ CÁCH LY CẦN ĐIỀU CHỈNH",
            "Các bản ghi dưới đây không được tính vào chỉ số. Đề nghị đơn vị kiểm tra theo cột Lý do, điều chỉnh "
            "trên hệ thống nguồn (Hệ thống giải quyết TTHC) hoặc gửi lại tệp đã sửa.",
            head,
            QUARANTINE_COLUMNS,
            quarantined.get(unit_code, []),
        )
        _sheet(
            wb,
            tables,
            "Tình hình gửi báo cáo",
            "TÌNH HÌNH GỬI BÁO CÁO CCHC ĐỊNH KỲ",
            "Kỳ nào ghi Chưa gửi hoặc Bị loại: đề nghị đơn vị gửi (lại) biểu mẫu báo cáo của kỳ đó.",
            head,
            SUBMISSION_COLUMNS,
            submitted.get(unit_code, []),
        )
        # what the warehouse corrected by itself: a file by its path, a portal source by its name
        unit_fixed = [(w, source_label(source), n) for w, source, n in fixed.get(unit_code, [])]
        _sheet(
            wb,
            tables,
            "Cảnh báo",
            "DANH SÁCH CẢNH BÁO DỮ LIỆU",
            "Các bản ghi dưới đây vẫn được tính; đề nghị đơn vị bổ sung, sửa theo nội dung cảnh báo. Bảng cuối: "
            "những lỗi hệ thống đã tự chuẩn hóa, để đơn vị biết, không cần xử lý.",
            head,
            WARNING_COLUMNS,
            warned.get(unit_code, []),
            extra=(FIXED_COLUMNS, unit_fixed) if unit_fixed else None,
        )
        _save(wb, tables, path)
    return Feedback(written, prints, kept)
