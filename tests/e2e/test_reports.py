"""The report of a reporting period matches the published scorecard; the chart page draws
every KPI without scripts or remote assets."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest
from openpyxl import load_workbook

from orchestration.publish import publish
from orchestration.reports import vn_number, vn_percent

PERIOD = "2024-BC-6T"


@pytest.fixture(scope="module")
def published(crafted_warehouse, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    settings = crafted_warehouse.with_(
        warehouse=tmp / "working.duckdb",
        publish_dir=tmp / "published",
        report_place="Cà Mau",
        report_number="12/BC-SGDĐT",
    )
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    publish(settings)
    return settings


def scorecard(settings, sql, params):
    con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def report_rows(path) -> dict[str, tuple]:
    """The official table of the report's main sheet, by KPI code: the sheet shows names
    only; the technical sheet ("Mã kỹ thuật") pairs each name with its code."""
    wb = load_workbook(path)
    codes, technical = {}, list(wb["Mã kỹ thuật"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(technical) if r[0] == "Chỉ tiêu (trang Báo cáo)")
    for r in technical[start + 1 :]:
        if not r[0]:
            break
        codes[r[0]] = r[1]
    rows = list(wb["Báo cáo"].iter_rows(values_only=True))
    header_row = next(i for i, r in enumerate(rows) if r[0] == "Mục KH")
    found = {}
    for r in rows[header_row + 1 :]:
        if not r[0]:
            break
        found[codes[r[1]]] = r
    return found


def test_report_figures_equal_the_scorecard(published):
    path = published.publish_dir / "reports" / f"{PERIOD}.xlsx"
    in_report = {code: r[2:7] for code, r in report_rows(path).items()}
    ws = load_workbook(path)["Báo cáo"]
    header_row = next(i for i, r in enumerate(ws.iter_rows(values_only=True)) if r[0] == "Mục KH")
    expected = scorecard(
        published,
        """select kpi_code, numerator, denominator, value, target, met
                                        from marts.kpi_scorecard where period_type = 'report' and period_key = ?
                                        and unit_code = 'ALL'""",
        [PERIOD],
    )
    assert len(in_report) == len(expected) > 5
    for kpi, num, den, value, target, met in expected:
        got = in_report[kpi]
        assert got[:2] == (num, den), kpi
        assert got[2] == pytest.approx(value) and (
            got[3] == target or (got[3] == "chưa đặt chỉ tiêu" and target is None)
        )
        assert got[4] == {True: "Đạt", False: "Không đạt", None: "–"}[met]
    # Vietnamese number formats on the figures
    first = header_row + 2
    assert ws.cell(first, 5).number_format == "0.00%" and ws.cell(first, 3).number_format == "#,##0"
    assert ws.cell(first, 2).font.name == "Times New Roman"


def test_report_carries_an_administrative_header(published):
    ws = load_workbook(published.publish_dir / "reports" / f"{PERIOD}.xlsx")["Báo cáo"]
    text = " | ".join(str(v) for r in ws.iter_rows(max_row=7, values_only=True) for v in r if v)
    everything = " | ".join(str(v) for r in ws.iter_rows(values_only=True) for v in r if v)
    assert "Nơi nhận:" in everything and "GIÁM ĐỐC" in everything and "- Lưu: VT, VP." in everything
    for part in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        "Số: 12/BC-SGDĐT",
        "Cà Mau, ngày",
        "BÁO CÁO",
        "15/12/2023",
        "09/06/2024",
    ):
        assert part in text, part


def test_report_766_section_matches_the_mart(published):
    ws = load_workbook(published.publish_dir / "reports" / f"{PERIOD}.xlsx")["PL I - Chỉ số 766"]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Nhóm chỉ số" and r[1] == "Chỉ số")
    got, groups = {}, []
    for r in rows[start + 1 :]:
        if not r[1]:
            break
        got[r[1]] = r[8]
        groups.append(r[0])
    total = rows[start + 1 + len(got)]
    assert total[0] == "Tổng cộng" and not any(r[0] for r in rows[start + 2 + len(got) :])  # the whole, last
    assert groups[0] == "Công khai, minh bạch" and "CKMB" not in groups  # groups by their names
    expected = scorecard(
        published,
        """select indicator_code, points from marts.scorecard_766
                                        where period_type = 'report' and period_key = ? and unit_code = 'ALL'""",
        [PERIOD],
    )
    assert {k: (float(v) if v is not None else None) for k, v in expected} == got
    (points,) = scorecard(
        published,
        """select points from marts.scorecard_766_summary where period_type = 'report' and period_key = ?
           and unit_code = 'ALL' and group_code = 'TOTAL'""",
        [PERIOD],
    )[0]
    assert total[8] == float(points)


def test_resolution_table_adds_up(published):
    ws = load_workbook(published.publish_dir / "reports" / f"{PERIOD}.xlsx")["PL II - Giải quyết TTHC"]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Mã TTHC")
    body = [r for r in rows[start + 1 :] if r[0]]
    received = sum(r[4] + r[5] + r[6] for r in body)
    resolved = sum(r[7] + r[8] + r[9] for r in body)
    expected = scorecard(
        published,
        """select count(*) filter (where is_received and received_date between ? and ?),
                                               count(*) filter (where is_ended and ended_date between ? and ?),
                                               count(*) filter (where is_ended and ended_date between ? and ? and not is_on_time)
                                        from marts.fct_dossiers""",
        ["2023-12-15", "2024-06-09"] * 3,
    )[0]
    assert (received, resolved, sum(r[9] for r in body)) == expected


def test_chart_page_draws_every_kpi_without_scripts(published):
    page = (published.publish_dir / "reports" / f"{PERIOD}.html").read_text(encoding="utf-8")
    kpis = [
        k
        for (k,) in scorecard(
            published,
            """select kpi_code from marts.kpi_scorecard where period_type = 'report'
                                                   and period_key = ? and unit_code = 'ALL'""",
            [PERIOD],
        )
    ]
    self_reported = {
        k for (k,) in scorecard(published, "select kpi_code from marts.dim_kpis where is_self_reported", [])
    }
    for kpi in kpis:
        section = re.search(rf'<section class="kpi" data-kpi="{kpi}">(.*?)</section>', page, re.S)
        assert section, kpi
        if kpi in self_reported or kpi == "school_digital_level2_share":  # no monthly trend to draw: said why
            assert "không có số liệu theo tháng" in section.group(1) and "<svg" not in section.group(1), kpi
        else:
            assert "<svg" in section.group(1) and "<polyline" in section.group(1), kpi
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert 'class="target"' in page  # targets drawn


def test_vietnamese_number_formats():
    assert vn_number(1234567) == "1.234.567"
    assert vn_number(1234.5, 1) == "1.234,5"
    assert vn_percent(0.8551) == "85,51%"
    assert vn_percent(None) == "–"


def _contents(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_calendar_quarter_on_demand(published, monkeypatch, tmp_path, capsys):
    """A report on demand goes into a new release (or a folder named with --out): the
    release that was published stays byte for byte as it was."""
    from orchestration.cli import main

    monkeypatch.setenv("CCHC_PUBLISH_DIR", str(published.publish_dir))
    before = (published.publish_dir / "current").resolve()
    files_before = _contents(before)
    assert main(["report", "--period", "2024-Q1"]) == 0
    assert _contents(before) == files_before
    after = (published.publish_dir / "current").resolve()
    assert after != before and (after / "reports" / "2024-Q1.xlsx").exists()
    assert not (before / "reports" / "2024-Q1.xlsx").exists()
    assert set(_contents(after)) == set(files_before) | {"reports/2024-Q1.xlsx", "reports/2024-Q1.html"}
    capsys.readouterr()
    assert main(["report", "--period", "2031-Q9"]) == 2  # an error naming the periods there are
    assert "official reporting periods: 2024-BC-6T, 2024-BC-NAM, 2024-BC-Q1, 2024-BC-Q3" in capsys.readouterr().err
    assert (published.publish_dir / "current").resolve() == after  # a failed report publishes nothing
    assert not list((published.publish_dir / "releases").glob(".*"))
    files_now = _contents(after)
    assert main(["report", "--period", "2024-Q2", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["2024-Q2.html", "2024-Q2.xlsx"]
    assert _contents(after) == files_now and (published.publish_dir / "current").resolve() == after
    row = report_rows(published.publish_dir / "reports" / "2024-Q1.xlsx")["online_dossier_rate"]
    assert row[2:4] == tuple(
        scorecard(
            published,
            """select numerator, denominator from marts.kpi_scorecard
        where period_type = 'quarter' and period_key = '2024-Q1' and unit_code = 'ALL'
        and kpi_code = 'online_dossier_rate'""",
            [],
        )[0]
    )


def test_a_period_the_data_does_not_cover_says_so(published):
    """The crafted department's first dossier is received on 28/02/2024, after 2024-BC-6T
    began (15/12/2023): the workbook and the page say "số liệu chưa đầy đủ" with the days."""
    expected = "SỐ LIỆU CHƯA ĐẦY ĐỦ: số liệu chỉ có từ ngày 28/02/2024 đến ngày 09/06/2024"
    ws = load_workbook(published.publish_dir / "reports" / f"{PERIOD}.xlsx")["Báo cáo"]
    assert any(str(v).startswith(expected) for r in ws.iter_rows(max_row=10, values_only=True) for v in r if v)
    assert expected in (published.publish_dir / "reports" / f"{PERIOD}.html").read_text(encoding="utf-8")


def test_coverage_is_the_days_the_data_has():
    from datetime import date

    from orchestration.reports.data import coverage

    start, end = date(2024, 1, 1), date(2024, 3, 31)
    assert coverage(start, end, date(2023, 5, 1), date(2024, 6, 1)) is None  # covered whole
    assert coverage(start, end, date(2024, 2, 10), date(2024, 6, 1)) == (date(2024, 2, 10), end)  # began later
    assert coverage(start, end, date(2023, 5, 1), date(2024, 3, 5)) == (start, date(2024, 3, 5))  # not over yet
    assert coverage(start, end, None, date(2024, 6, 1)) == (None, end)  # no dossier at all
    assert coverage(start, end, date(2024, 5, 1), date(2024, 6, 1)) == (None, end)  # data only after it
