"""The administrative-reform report of an official reporting period, from the published
marts only: ``reports/<period_key>.xlsx`` (with the header of an administrative document,
Decree 30/2020) and ``reports/<period_key>.html`` (each KPI's monthly trend against its
target, drawn as inline SVG: no script, no CDN).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from orchestration.escaping import put

PERCENT = "0.00%"
INTEGER = "#,##0"
DATE = "dd/mm/yyyy"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class ReportHeader:
    department: str
    parent_body: str
    signatory: str
    place: str
    number: str


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """1234567.5 -> '1.234.567,5' (Vietnamese separators)."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_percent(value: float | None) -> str:
    return "–" if value is None else vn_number(100 * value, 2) + "%"


def vn_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def header_from(settings) -> ReportHeader:
    return ReportHeader(
        department=settings.department_name,
        parent_body=settings.parent_body,
        signatory=settings.report_signatory,
        place=settings.report_place,
        number=settings.report_number,
    )


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
        raise ValueError(f"no period {period_key!r} in the published scorecard")
    return row


def kpi_rows(con, period_type: str, period_key: str) -> list[tuple]:
    """The period's KPI rows for the whole department; school_digital_level2_share, which is
    counted by school year, comes from the school year ``marts.period_school_years`` gives
    the period (its key is written beside the KPI's name)."""
    return con.execute(
        """
        select k.plan_item,
               k.name_vi || case when s.period_type = 'school_year' then ' (năm học ' || s.period_key || ')' else '' end,
               s.kpi_code, s.numerator, s.denominator, s.value, s.target, s.met,
               s.reported_numerator, s.reported_denominator, s.reported_at
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


def write_report(
    published: Path, period_key: str, target_dir: Path, header: ReportHeader, today: date | None = None
) -> tuple[Path, Path]:
    """Write ``<target_dir>/<period_key>.xlsx`` and ``.html`` from a published warehouse."""
    today = today or date.today()
    con = duckdb.connect(str(published), read_only=True)
    try:
        period_type, start, end = _period(con, period_key)
        kpis = kpi_rows(con, period_type, period_key)
        s766 = con.execute(
            """
            select group_code, indicator_code, name_vi, numerator, denominator, rate, threshold, max_points, points, note
            from marts.scorecard_766 where period_type = ? and period_key = ? and unit_code = 'ALL'
            order by group_code, indicator_code""",
            [period_type, period_key],
        ).fetchall()
        s766_total = con.execute(
            """
            select group_code, points, max_points_computable from marts.scorecard_766_summary
            where period_type = ? and period_key = ? and unit_code = 'ALL' order by group_code""",
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
    finally:
        con.close()

    target_dir.mkdir(parents=True, exist_ok=True)
    title = f"Kết quả thực hiện công tác cải cách hành chính kỳ {period_key}"
    subtitle = f"(Số liệu từ ngày {vn_date(start)} đến ngày {vn_date(end)}; bản công bố {release[0]})"
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

    xlsx = target_dir / f"{period_key}.xlsx"
    wb.save(xlsx)
    page = target_dir / f"{period_key}.html"
    page.write_text(_html(header, title, subtitle, kpis, monthly), encoding="utf-8")
    return xlsx, page


def _svg(points: list[tuple[str, float | None]], target: float | None) -> str:
    """A monthly trend line (0-100 %) with the target as a dashed line."""
    width, height, left, bottom, top = 560, 220, 44, 30, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    n = max(len(points), 1)
    x = lambda i: left + (plot_w * (i + 0.5) / n)
    y = lambda v: top + plot_h * (1 - v)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for pct in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y(pct):.1f}" y2="{y(pct):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(pct) + 4:.1f}" text-anchor="end" font-size="10">{int(pct * 100)}%</text>'
        )
    if target is not None:
        parts.append(
            f'<line class="target" x1="{left}" x2="{width - 10}" y1="{y(min(target, 1)):.1f}" '
            f'y2="{y(min(target, 1)):.1f}" stroke="#c0392b" stroke-dasharray="6 4"/>'
        )
    coords = [(x(i), y(v)) for i, (_, v) in enumerate(points) if v is not None]
    if coords:
        parts.append(
            '<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="'
            + " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            + '"/>'
        )
        parts += [f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="#1f77b4"/>' for cx, cy in coords]
    for i, (label, _) in enumerate(points):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle" font-size="10">{html.escape(label[5:7] + "/" + label[:4])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _html(header: ReportHeader, title: str, subtitle: str, kpis: list[tuple], monthly: list[tuple]) -> str:
    series: dict[str, dict] = {}
    for kpi, name, period_key, value, target in monthly:
        entry = series.setdefault(kpi, {"name": name, "points": [], "target": target})
        entry["points"].append((period_key, value))
    cards = []
    for _, name, kpi, num, den, value, target, met, *_ in kpis:
        s = series.get(kpi, {"points": [], "target": target})
        verdict = {True: "Đạt", False: "Không đạt", None: "–"}[met]
        cards.append(
            f'<section class="kpi" data-kpi="{html.escape(kpi)}"><h2>{html.escape(name)}</h2>'
            f"<p>Kết quả kỳ: <b>{vn_percent(value)}</b> ({vn_number(num)}/{vn_number(den)}) — "
            f"chỉ tiêu {vn_percent(target)} — <b>{verdict}</b></p>"
            f"{_svg(s['points'], target)}</section>"
        )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Times New Roman", serif; margin: 2em; color: #222; }}
header {{ display: flex; justify-content: space-between; text-align: center; }}
section.kpi {{ display: inline-block; vertical-align: top; margin: 1em; padding: 0.5em; border: 1px solid #ccc; }}
h2 {{ font-size: 1em; max-width: 560px; }}
</style></head>
<body>
<header><div>{html.escape(header.parent_body.upper())}<br><b>{html.escape(header.department.upper())}</b></div>
<div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><u>Độc lập - Tự do - Hạnh phúc</u></div></header>
<h1>{html.escape(title)}</h1>
<p>{html.escape(subtitle)}. Đường nét đứt: chỉ tiêu kế hoạch; đường liền: kết quả theo tháng (toàn Sở).
Generated {datetime.now():%d/%m/%Y %H:%M}.</p>
{"".join(cards)}
</body></html>
"""
