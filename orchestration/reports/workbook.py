"""The report as an administrative-document workbook (Decree 30/2020 header): the plan's
KPIs against their targets, the Decision 766 scorecard, the resolution table and data
quality. Every cell from data is written as text or a number, never a formula."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.escaping import put
from orchestration.reports.data import ReportData
from orchestration.reports.vietnamese import ReportHeader, vn_date

PERCENT = "0.00%"
INTEGER = "#,##0"
DATE = "dd/mm/yyyy"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def print_on_a4(ws, orientation: str, pages_high: int = 0) -> None:
    """A4, the table fitted to the page's width (``pages_high`` 0: as many pages down as it
    takes); for the report's, the forms' and the feedback's sheets (write-only ones too)."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, pages_high


def _write_header(ws, header: ReportHeader, title: str, subtitle: str, today: date, width: int) -> int:
    half = max(2, width // 2)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=half)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=half)
    ws.merge_cells(start_row=1, start_column=half + 1, end_row=1, end_column=width)
    ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=width)
    ws.merge_cells(start_row=3, start_column=half + 1, end_row=3, end_column=width)
    put(ws, 1, 1, header.parent_body.upper())
    put(ws, 2, 1, header.department.upper()).font = Font(bold=True)
    put(ws, 3, 1, f"Số: {header.number}")
    put(ws, 1, half + 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").font = Font(bold=True)
    put(ws, 2, half + 1, "Độc lập - Tự do - Hạnh phúc").font = Font(bold=True, underline="single")
    put(ws, 3, half + 1, f"{header.place}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}").font = Font(
        italic=True
    )
    for row in range(1, 4):
        for col in (1, half + 1):
            ws.cell(row, col).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=width)
    ws.merge_cells(start_row=6, start_column=1, end_row=6, end_column=width)
    put(ws, 5, 1, "BÁO CÁO").font = Font(bold=True, size=14)
    put(ws, 6, 1, title).font = Font(bold=True)
    ws.cell(5, 1).alignment = ws.cell(6, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=7, start_column=1, end_row=7, end_column=width)
    put(ws, 7, 1, subtitle).alignment = Alignment(horizontal="center")
    return 9


def _table(ws, row: int, headings: list[str], rows: list[list], formats: list[str | None]) -> int:
    for col, heading in enumerate(headings, start=1):
        cell = put(ws, row, col, heading)
        cell.font = Font(bold=True)
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for values in rows:
        row += 1
        for col, (value, fmt) in enumerate(zip(values, formats), start=1):
            cell = put(ws, row, col, value)
            cell.border = BOX
            if fmt:
                cell.number_format = fmt
    return row + 2


def write_workbook(data: ReportData, header: ReportHeader, title: str, subtitle: str, today: date, path: Path) -> Path:
    """Write the report's workbook to ``path``."""
    kpis, s766, s766_total, resolution = data.kpis, data.s766, data.s766_total, data.resolution
    quality, balance, files, rejected, withheld = data.quality, data.balance, data.files, data.rejected, data.withheld
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu"
    row = _write_header(ws, header, title, subtitle, today, 10)
    put(ws, row, 1, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH").font = Font(bold=True)
    row = _table(
        ws,
        row + 1,
        [
            "Mục KH",
            "Chỉ tiêu",
            "Mã chỉ số",
            "Tử số",
            "Mẫu số",
            "Kết quả",
            "Chỉ tiêu KH",
            "Đánh giá",
            "Số liệu đã báo cáo (tử/mẫu)",
            "Điều chỉnh",
        ],
        [
            [
                p,
                n,
                c,
                num,
                den,
                val,
                tgt,
                {True: "Đạt", False: "Không đạt", None: "–"}[met],
                f"{rn}/{rd}" if rn is not None else None,
                (
                    f"Điều chỉnh so với báo cáo ngày {vn_date(ra.date())}"
                    if ra is not None and (rn, rd) != (num, den)
                    else None
                ),
            ]
            for p, n, c, num, den, val, tgt, met, rn, rd, ra in kpis
        ],
        [None, None, None, INTEGER, INTEGER, PERCENT, PERCENT, None, None, None],
    )
    put(ws, row, 1, "II. BỘ CHỈ SỐ QUYẾT ĐỊNH 766/QĐ-TTg (theo phương pháp công bố trên Cổng DVCQG)").font = Font(
        bold=True
    )
    row = _table(
        ws,
        row + 1,
        ["Nhóm", "Chỉ số", "Tên chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Ngưỡng", "Điểm tối đa", "Điểm", "Ghi chú"],
        [list(r) for r in s766],
        [None, None, None, INTEGER, INTEGER, PERCENT, PERCENT, "0", "0.00", None],
    )
    row = _table(
        ws, row, ["Nhóm", "Điểm đạt", "Điểm tối đa tính được"], [list(r) for r in s766_total], [None, "0.00", "0"]
    )
    put(ws, row + 1, 8, "GIÁM ĐỐC" if header.signatory == "Giám đốc" else header.signatory.upper()).font = Font(
        bold=True
    )
    for col, width in zip(range(1, 11), (9, 48, 30, 12, 12, 11, 11, 12, 14, 30)):
        ws.column_dimensions[get_column_letter(col)].width = width

    ws = wb.create_sheet("Giải quyết TTHC")
    row = _write_header(ws, header, "Tình hình giải quyết thủ tục hành chính", subtitle, today, 13)
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
        ],
        [list(r) for r in resolution],
        [None, None, None] + [INTEGER] * 9,
    )

    if data.period_type == "report":
        ws = wb.create_sheet("Tình hình báo cáo của đơn vị")
        row = _write_header(ws, header, "Tình hình gửi báo cáo CCHC định kỳ của các đơn vị", subtitle, today, 9)
        _table(
            ws,
            row,
            [
                "Mã đơn vị",
                "Tên đơn vị",
                "Hạn gửi",
                "Tình trạng",
                "Ngày báo cáo",
                "Số ngày muộn",
                "Số bản đã nhận",
                "Ghi chú",
            ],
            [list(r) for r in data.submissions] or [["–", "Không có đơn vị phải gửi báo cáo", *[None] * 6]],
            [None, None, DATE, None, DATE, "0", "0", None],
        )
        for col, width in zip(range(1, 9), (16, 44, 12, 18, 13, 10, 10, 44)):
            ws.column_dimensions[get_column_letter(col)].width = width
        print_on_a4(ws, "landscape")

    ws = wb.create_sheet("Chất lượng dữ liệu")
    row = _write_header(ws, header, "Tình hình chất lượng dữ liệu (toàn bộ bản công bố)", subtitle, today, 6)
    row = _table(
        ws,
        row,
        ["Loại", "Nguồn", "Mã", "Nội dung", "Số bản ghi"],
        [list(r) for r in quality],
        [None, None, None, None, INTEGER],
    )
    row = _table(
        ws,
        row,
        ["Nguồn", "Số dòng đọc", "Được tính", "Bị cách ly", "Để riêng"],
        [list(r) for r in balance],
        [None, INTEGER, INTEGER, INTEGER, INTEGER],
    )
    if files:
        row = _table(
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
            ],
            [list(r) for r in files],
            [None, None, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER],
        )
    if rejected:
        row = _table(ws, row, ["Tệp không đọc được", "Lý do"], [list(r) for r in rejected], [None, None])
    _table(
        ws,
        row,
        ["Đơn vị bị tạm giữ số liệu", "Tên đơn vị", "Lý do"],
        [list(r) for r in withheld] or [["–", "", ""]],
        [None, None, None],
    )

    wb.save(path)
    return path
