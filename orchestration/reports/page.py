"""The report's page of charts: each KPI's monthly trend against its target, as inline SVG
(no script, no CDN), every text from data HTML-escaped."""

from __future__ import annotations

import html
from datetime import date

from orchestration.reports.vietnamese import ReportHeader, vn_date, vn_number, vn_percent
from orchestration.runlog import vietnam_time


def trend_svg(points: list[tuple[str, float | None]], target: float | None) -> str:
    """A monthly trend line (0-100 %) with the target as a dashed line."""
    width, height, left, bottom, top = 560, 230, 44, 40, 12
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
    # "T1" … "T12" under each month (short enough for 13 months side by side), the year
    # under the first month and under each January
    year = None
    for i, (label, _) in enumerate(points):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 24}" text-anchor="middle" font-size="10">'
            f"T{int(label[5:7]) if label[5:7].isdigit() else html.escape(label[5:7])}</text>"
        )
        if label[:4] != year:
            year = label[:4]
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" font-size="10" '
                f'font-weight="bold">{html.escape(year)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def submissions_table(rows: list[tuple]) -> str:
    """The units' report forms of the period (DOMAIN.md 7): who sent, who is late or missing."""
    if not rows:
        return ""
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(vn_date(v) if isinstance(v, date) else ('' if v is None else str(v)))}</td>"
            for v in (code, name, due, status, report_date, note)
        )
        + "</tr>"
        for code, name, due, status, report_date, _days, _n, note in rows
    )
    return (
        '<section class="submissions"><h2>Tình hình báo cáo của đơn vị</h2><table>'
        "<tr><th>Mã đơn vị</th><th>Tên đơn vị</th><th>Hạn gửi</th><th>Tình trạng</th><th>Ngày báo cáo</th>"
        f"<th>Ghi chú</th></tr>{body}</table></section>"
    )


def no_chart_reason(period_type: str, self_reported: bool) -> str:
    """Why a KPI card has no monthly chart, in the words an official reads."""
    if self_reported:
        return "Chỉ tiêu do đơn vị tự báo cáo theo kỳ báo cáo: không có số liệu theo tháng."
    if period_type == "school_year":
        return "Chỉ tiêu tính theo năm học: không có số liệu theo tháng."
    return "Không có số liệu theo tháng trong kỳ."


def render_page(
    header: ReportHeader,
    title: str,
    subtitle: str,
    kpis: list[tuple],
    monthly: list[tuple],
    submissions: list[tuple] = (),
    partial: str | None = None,
) -> str:
    series: dict[str, dict] = {}
    for kpi, name, period_key, value, target in monthly:
        entry = series.setdefault(kpi, {"name": name, "points": [], "target": target})
        entry["points"].append((period_key, value))
    cards = []
    for _, name, kpi, num, den, value, target, met, *_, period_type, self_reported in kpis:
        s = series.get(kpi, {"points": [], "target": target})
        drawn = any(v is not None for _, v in s["points"])
        verdict = {True: "Đạt", False: "Không đạt", None: "–"}[met]
        cards.append(
            f'<section class="kpi" data-kpi="{html.escape(kpi)}"><h2>{html.escape(name)}</h2>'
            f"<p>Kết quả kỳ: <b>{vn_percent(value)}</b> ({vn_number(num)}/{vn_number(den)}) — "
            + (
                f"chỉ tiêu {vn_percent(target)} — <b>{verdict}</b></p>"
                if target is not None
                else "chưa đặt chỉ tiêu</p>"
            )
            + (
                trend_svg(s["points"], target)
                if drawn
                else f'<p class="nochart"><i>{html.escape(no_chart_reason(period_type, self_reported))}</i></p>'
            )
            + "</section>"
        )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Times New Roman", serif; margin: 2em; color: #222; }}
header {{ display: flex; justify-content: space-between; text-align: center; }}
section.kpi {{ display: inline-block; vertical-align: top; margin: 1em; padding: 0.5em; border: 1px solid #ccc; }}
h2 {{ font-size: 1em; max-width: 560px; }}
p.partial {{ color: #b3261e; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #999; padding: 0.2em 0.5em; }}
</style></head>
<body>
<header><div>{html.escape(header.parent_body.upper())}<br><b>{html.escape(header.department.upper())}</b></div>
<div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><u>Độc lập - Tự do - Hạnh phúc</u></div></header>
<h1>{html.escape(title)}</h1>
{f'<p class="partial"><b>{html.escape(partial)}</b></p>' if partial else ""}
<p>{html.escape(subtitle)}. Đường nét đứt: chỉ tiêu kế hoạch; đường liền: kết quả theo tháng (toàn Sở).
Lập lúc {vietnam_time():%H:%M} ngày {vietnam_time():%d/%m/%Y} (giờ Việt Nam).</p>
{"".join(cards)}
{submissions_table(list(submissions))}
</body></html>
"""
