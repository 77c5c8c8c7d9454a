"""The report as an administrative document (Decree 30/2020/NĐ-CP): the main sheet is the
report an official signs (national and agency header, title, the plan's KPIs against their
targets, the Decision 766 points by group, "Nơi nhận" and the signer), the detail tables
are appendices (Phụ lục), and the codes a computer needs are on a technical sheet of their
own. Times New Roman; A4 with margins, each table fitted to the page's width and its header
row printed again on every page. Every cell from data is text or a number, never a formula."""

from __future__ import annotations

from copy import copy
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.escaping import put
from orchestration.reports.data import ReportData
from orchestration.reports.vietnamese import ReportHeader, source_label, vietnamese_only, vn_date

PERCENT = "0.00%"
INTEGER = "#,##0"
DATE = "dd/mm/yyyy"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "Times New Roman"  # Decree 30/2020, Appendix I: Times New Roman, Vietnamese Unicode (TCVN 6909:2001)
HEADING_FILL = PatternFill("solid", fgColor="E8EEF5")
VERDICT = {True: "Đạt", False: "Không đạt", None: "–"}
PERIOD_KIND_VI = {"report": "kỳ báo cáo", "school_year": "năm học", "year": "năm", "quarter": "quý", "month": "tháng"}


def font(size: float = 12, **kwargs) -> Font:
    return Font(name=FONT, size=size, **kwargs)


def use_times_new_roman(wb: Workbook, size: float = 12) -> None:
    """Every cell of ``wb`` without a font of its own in Times New Roman (write-only
    workbooks too): the workbook's default font and its Normal style."""
    default = font(size)
    wb._fonts = IndexedList([default])  # style id 0 of every cell
    for style in wb._named_styles:
        if style.name == "Normal":
            style.font = default


def print_on_a4(ws, orientation: str, pages_high: int = 0, title_rows: str | None = None) -> None:
    """A4 with the margins of an administrative document (top and bottom 2 cm, left 3 cm,
    right 1.5 cm), the table fitted to the page's width (``pages_high`` 0: as many pages
    down as it takes) and ``title_rows`` ("9:9") printed again on every page; for the
    report's, the forms' and the feedback's sheets (write-only ones too)."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, pages_high
    ws.page_margins.top = ws.page_margins.bottom = 0.79
    ws.page_margins.left, ws.page_margins.right = 1.18, 0.59
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows


def _widths(ws, widths) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _write_header(ws, header: ReportHeader, title: str, subtitle: str, today: date, width: int, heading: str) -> int:
    """The national and agency header (Decree 30, Appendix I), the document's kind and title;
    returns the first free row."""
    half = max(2, width // 2)
    for row in (1, 2, 3):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=half)
        ws.merge_cells(start_row=row, start_column=half + 1, end_row=row, end_column=width)
    put(ws, 1, 1, header.parent_body.upper()).font = font(12)
    put(ws, 2, 1, header.department.upper()).font = font(12, bold=True)
    put(ws, 3, 1, f"Số: {header.number}").font = font(12)
    put(ws, 1, half + 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").font = font(12, bold=True)
    put(ws, 2, half + 1, "Độc lập - Tự do - Hạnh phúc").font = font(13, bold=True, underline="single")
    place = f"{header.place}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}"
    put(ws, 3, half + 1, place).font = font(13, italic=True)
    for row in range(1, 4):
        for col in (1, half + 1):
            ws.cell(row, col).alignment = Alignment(horizontal="center")
    for row, text, style in (
        (5, heading, font(14, bold=True)),
        (6, title, font(13, bold=True)),
        (7, subtitle, font(12, italic=True)),
    ):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        put(ws, row, 1, text).font = style
        ws.cell(row, 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[6].height = 36
    return 8


def _partial_notice(ws, row: int, data: ReportData, width: int) -> int:
    """ "Số liệu chưa đầy đủ" under the title when the data does not cover the period."""
    if data.covered is None:
        return row
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    put(ws, row, 1, partial_text(data)).font = font(12, bold=True, color="B3261E")
    ws.cell(row, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    ws.row_dimensions[row].height = 32
    return row + 1


def partial_text(data: ReportData) -> str:
    covered_from, covered_to = data.covered
    if covered_from is None:
        return f"SỐ LIỆU CHƯA ĐẦY ĐỦ: chưa có số liệu của Hệ thống giải quyết TTHC trong kỳ (đến ngày {vn_date(covered_to)})."
    return (
        f"SỐ LIỆU CHƯA ĐẦY ĐỦ: số liệu chỉ có từ ngày {vn_date(covered_from)} đến ngày {vn_date(covered_to)} "
        f"(kỳ báo cáo từ ngày {vn_date(data.start)} đến ngày {vn_date(data.end)})."
    )


def _section(ws, row: int, text: str) -> int:
    put(ws, row, 1, text).font = font(12, bold=True)
    return row + 1


def wrapped_lines(value, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (Times New Roman 11:
    a little more than one character per unit of width)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, int(width * 1.05))
    return sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))


def _table(ws, row: int, headings: list[str], rows: list[list], formats: list[str | None], repeat: bool = False) -> int:
    """A bordered table (in the sheet's column widths: ``_widths`` first); each row as tall as its longest wrapped
    text (LibreOffice and Excel do not grow a row for wrapped text they did not write); its
    header row printed on every page when ``repeat``. Returns the row after the table and
    one blank row."""
    widths = [ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, len(headings) + 1)]
    for col, heading in enumerate(headings, start=1):
        cell = put(ws, row, col, heading)
        cell.font = font(11, bold=True)
        cell.border = BOX
        cell.fill = HEADING_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[row].height = 15 * max(wrapped_lines(h, w) for h, w in zip(headings, widths, strict=False))
    if repeat:
        ws.print_title_rows = f"{row}:{row}"
    # a body cell's style is made once for each kind of cell (bold, number format, quote
    # prefix) and copied to the next ones like it: openpyxl otherwise makes and hashes a
    # font, a border and an alignment a cell (a report has some 30,000 cells)
    styled = {}
    for values in rows:
        row += 1
        bold = bool(values) and values[0] == "Tổng cộng"
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            cell = put(ws, row, col, value)
            kind = (bold, fmt, cell.quotePrefix)
            if kind in styled:
                cell._style = copy(styled[kind])
                continue
            cell.border = BOX
            cell.font = font(11, bold=bold)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if fmt:
                cell.number_format = fmt
            styled[kind] = cell._style
        ws.row_dimensions[row].height = 15 * max(wrapped_lines(v, w) for v, w in zip(values, widths, strict=False))
    return row + 2


def _signature(ws, row: int, header: ReportHeader, left_width: int, width: int) -> int:
    """ "Nơi nhận" on the left, the signer's title and name on the right (Decree 30, Appendix I)."""
    start = row
    put(ws, row, 1, "Nơi nhận:").font = font(12, bold=True, italic=True)
    for recipient in header.recipients:
        row += 1
        put(ws, row, 1, f"- {recipient}{'.' if recipient.startswith('Lưu') else ';'}").font = font(11)
    sign_col = left_width + 1
    ws.merge_cells(start_row=start, start_column=sign_col, end_row=start, end_column=width)
    title = "GIÁM ĐỐC" if header.signatory == "Giám đốc" else header.signatory.upper()
    put(ws, start, sign_col, title).font = font(13, bold=True)
    ws.merge_cells(start_row=start + 1, start_column=sign_col, end_row=start + 1, end_column=width)
    put(ws, start + 1, sign_col, "(Ký, ghi rõ họ tên và đóng dấu)").font = font(12, italic=True)
    name_row = start + 6
    ws.merge_cells(start_row=name_row, start_column=sign_col, end_row=name_row, end_column=width)
    put(ws, name_row, sign_col, header.signer_name or "").font = font(13, bold=True)
    for r in (start, start + 1, name_row):
        ws.cell(r, sign_col).alignment = Alignment(horizontal="center")
    return max(row, name_row) + 1


def _as_reported(num, den, rn, rd, ra) -> str | None:
    """A final report's figures as reported, and the date of a later restatement."""
    if ra is None or rn is None:
        return None
    said = f"Số liệu đã báo cáo: {rn}/{rd}"
    return said + (f"; điều chỉnh so với báo cáo ngày {vn_date(ra.date())}" if (rn, rd) != (num, den) else "")


def write_workbook(data: ReportData, header: ReportHeader, title: str, subtitle: str, today: date, path: Path) -> Path:
    """Write the report's workbook to ``path``."""
    wb = Workbook()
    use_times_new_roman(wb)
    wb.properties.title, wb.properties.creator = title, header.department

    # --- the report itself: what the official signs (portrait, as an administrative document)
    ws = wb.active
    ws.title = "Báo cáo"
    widths = (9, 38, 15, 15, 9, 10, 10, 18)  # Tử số, Mẫu số wide enough for an amount in VND
    _widths(ws, widths)
    row = _write_header(ws, header, title, subtitle, today, len(widths), "BÁO CÁO")
    row = _partial_notice(ws, row, data, len(widths)) + 1
    row = _section(ws, row, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH")
    kpi_rows = [
        [
            p,
            n,
            num,
            den,
            val,
            tgt if tgt is not None else "chưa đặt chỉ tiêu",
            VERDICT[met],
            _as_reported(num, den, rn, rd, ra),
        ]
        for p, n, _code, num, den, val, tgt, met, rn, rd, ra, *_ in data.kpis
    ]
    # the table's header printed again on every page only when it cannot fit on the first
    # (repeated above the signature it would read as a fault)
    long_table = row + sum(wrapped_lines(r[1], widths[1]) for r in kpi_rows) > 48  # lines of 15 pt on a portrait page
    row = _table(
        ws,
        row,
        ["Mục KH", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả", "Chỉ tiêu KH", "Đánh giá", "Ghi chú"],
        kpi_rows,
        [None, None, INTEGER, INTEGER, PERCENT, PERCENT, None, None],
        repeat=long_table,
    )
    row = _section(
        ws,
        row,
        "II. ĐIỂM BỘ CHỈ SỐ THEO QUYẾT ĐỊNH 766/QĐ-TTg (theo phương pháp công bố trên Cổng DVCQG; chi tiết tại Phụ lục I)",
    )
    row = _table(
        ws,
        row,
        ["STT", "Nhóm chỉ số", "Điểm đạt", "Điểm tối đa tính được"],
        [
            [i if name != "Tổng cộng" else "", name, points, top]
            for i, (name, points, top, _g) in enumerate(data.s766_total, start=1)
        ],  # fmt: skip
        [None, None, "0.00", "0"],
    )
    _signature(ws, row, header, 3, len(widths))
    print_on_a4(ws, "portrait")

    # --- the appendices: landscape, one long table a sheet (short ones before it), so the
    # header a printed page repeats is always that of the rows under it
    numerals = iter(("I", "II", "III", "IV", "V", "VI"))

    def appendix(sheet: str, heading: str, widths: tuple[int, ...], partial: bool = True):
        numeral = next(numerals)
        ws = wb.create_sheet(f"PL {numeral} - {sheet}")
        _widths(ws, widths)
        print_on_a4(ws, "landscape")
        row = _write_header(ws, header, heading, subtitle, today, len(widths), f"PHỤ LỤC {numeral}")
        return ws, (_partial_notice(ws, row, data, len(widths)) if partial else row) + 1

    # the Decision 766 indicators, the whole last as "Tổng cộng"
    ws, row = appendix(
        "Chỉ số 766", "Điểm các chỉ số theo Quyết định 766/QĐ-TTg", (20, 8, 40, 11, 11, 10, 10, 10, 10, 36)
    )
    total = [
        ["Tổng cộng", None, None, None, None, None, None, top, points, "Điểm tối đa: của các chỉ số tính được"]
        for _name, points, top, group in data.s766_total
        if group == "TOTAL"
    ]
    _table(
        ws,
        row,
        ["Nhóm chỉ số", "Chỉ số", "Tên chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Ngưỡng", "Điểm tối đa", "Điểm", "Ghi chú"],
        [list(r[:10]) for r in data.s766] + total,
        [None, None, None, INTEGER, INTEGER, PERCENT, PERCENT, "0", "0.00", None],
        repeat=True,
    )

    # procedure resolution, by procedure and unit (by name)
    ws, row = appendix(
        "Giải quyết TTHC", "Tình hình giải quyết thủ tục hành chính", (11, 40, 26, 10, 10, 10, 10, 10, 10, 10, 10, 10)
    )
    _table(
        ws,
        row,
        [
            "Mã TTHC",
            "Tên TTHC",
            "Đơn vị",
            "Kỳ trước chuyển sang",
            "Mới tiếp nhận: trực tiếp",
            "Mới tiếp nhận: trực tuyến",
            "Mới tiếp nhận: bưu chính",
            "Đã giải quyết: trước hạn",
            "Đã giải quyết: đúng hạn",
            "Đã giải quyết: quá hạn",
            "Đang giải quyết: trong hạn",
            "Đang giải quyết: quá hạn",
        ],  # fmt: skip
        [[r[0], r[1], data.unit_names.get(r[2], r[2]), *r[3:]] for r in data.resolution]
        or [["–", "Không có hồ sơ trong kỳ", *[None] * 10]],
        [None, None, None] + [INTEGER] * 9,
        repeat=True,
    )

    if data.period_type == "report":  # the units' report forms of an official period
        ws, row = appendix(
            "Báo cáo của đơn vị", "Tình hình gửi báo cáo CCHC định kỳ của các đơn vị", (44, 12, 18, 13, 10, 10, 44),
            partial=False,
        )  # fmt: skip
        _table(
            ws,
            row,
            ["Tên đơn vị", "Hạn gửi", "Tình trạng", "Ngày báo cáo", "Số ngày muộn", "Số bản đã nhận", "Ghi chú"],
            [list(r[1:]) for r in data.submissions] or [["Không có đơn vị phải gửi báo cáo", *[None] * 6]],
            [None, DATE, None, DATE, "0", "0", None],
            repeat=True,
        )

    ws, row = appendix(
        "Chất lượng dữ liệu", "Tình hình chất lượng dữ liệu (toàn bộ bản công bố)", (56, 40, 14, 14, 14), partial=False
    )
    _table(
        ws,
        row,
        ["Nội dung", "Nguồn", "Loại", "Số bản ghi"],
        [[text, source_label(src), kind, n] for kind, src, _code, text, n in data.quality]
        or [["Không có bản ghi bị cách ly hoặc cảnh báo", None, None, None]],
        [None, None, None, INTEGER],
        repeat=True,
    )

    ws, row = appendix(
        "Đối soát nguồn", "Đối soát số dòng đọc, được tính, bị cách ly theo nguồn và theo tệp",
        (48, 30, 13, 13, 13, 13, 13, 13), partial=False,
    )  # fmt: skip
    row = _table(
        ws,
        row,
        ["Nguồn", "Số dòng đọc", "Được tính", "Bị cách ly", "Để riêng"],
        [[source_label(src), *rest] for src, *rest in data.balance],
        [None, INTEGER, INTEGER, INTEGER, INTEGER],
    )
    if data.rejected:
        row = _table(ws, row, ["Tệp không đọc được", "Lý do"], [list(r) for r in data.rejected], [None, None])
    row = _table(
        ws,
        row,
        ["Đơn vị bị tạm giữ số liệu", "Lý do"],
        [[name, vietnamese_only(note)] for _code, name, note in data.withheld] or [["Không có", None]],
        [None, None],
    )
    if data.files:
        _table(
            ws,
            row,
            [
                "Tệp",
                "Nguồn",
                "Số dòng đọc",
                "Được tính",
                "Bị cách ly",
                "Để riêng",
                "Dòng trống (không tính)",
                "Dòng chân trang (không tính)",
            ],  # fmt: skip
            [[f, source_label(src), *rest] for f, src, *rest in data.files],
            [None, None, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER],
            repeat=True,
        )

    # --- the codes, for whoever checks the figures against the warehouse (portrait; the
    # longest table last, its header repeated)
    ws = wb.create_sheet("Mã kỹ thuật")
    _widths(ws, (46, 30, 36, 30))
    print_on_a4(ws, "portrait")
    put(ws, 1, 1, "Mã kỹ thuật của các chỉ tiêu, nhóm chỉ số và lý do (đối chiếu với kho dữ liệu)").font = font(
        12, bold=True
    )
    row = _table(ws, 3, ["Nhóm chỉ số 766", "Mã nhóm (group_code)"], [[n, g] for n, _p, _m, g in data.s766_total],
                 [None, None])  # fmt: skip
    row = _table(
        ws,
        row,
        ["Chỉ tiêu (trang Báo cáo)", "Mã chỉ số (kpi_code)", "Mục KH", "Kỳ tính"],
        [[n, code, p, PERIOD_KIND_VI.get(kind, kind)] for p, n, code, *_rest, kind, _self in data.kpis],
        [None, None, None, None],
    )
    _table(
        ws,
        row,
        ["Nội dung (Phụ lục chất lượng dữ liệu)", "Mã lý do (reason_code)", "Nguồn", "Mã nguồn (source_name)"],
        [[text, code, source_label(src), src] for _kind, src, code, text, _n in data.quality],
        [None, None, None, None],
        repeat=True,
    )

    wb.save(path)
    return path
