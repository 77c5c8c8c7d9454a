"""The units' report forms (DOMAIN.md 7), end to end on real files: the publication writes
the pre-filled forms, units fill them with openpyxl as a person would (cells found by
their labels: sandbox.forms), the forms are dropped, read, checked and counted; every
figure below is counted by hand from the dossiers and forms written here.

The department: units A, B, C, D of the units seed. In 2024-BC-Q1 (15/12/2023-09/03/2024,
due 10/03/2024) the portal has, for A, 15 dossiers received (11 online), 5 of them ended
(4 on time); for B, 300 received in person; none for C and D.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.forms import write_forms
from orchestration.intake import intake_folder
from orchestration.publish import publish
from orchestration.settings import Settings
from orchestration.warehouse import open_warehouse
from sandbox.forms import fill_form
from tests.crafted import PROCEDURES, dossier
from tests.integration.dbt_helpers import land, query, run_dbt

A, B, C, D = "000.00.20.H12", "000.01.20.H12", "000.02.20.H12", "000.03.20.H12"
PREPARER, PHONE = "Nguyễn Văn Bình", "0987 654 321"


def _dossiers() -> list[dict]:
    received = {"NgayNopHoSo": "20240301080000", "NgayTiepNhan": "20240301090000"}
    rows = [dossier(f"A-ON-{i}", DonViXuLy=A, KenhThucHien="2", **received) for i in range(6)]
    rows += [dossier(f"A-IP-{i}", DonViXuLy=A, KenhThucHien="1", **received) for i in range(4)]
    ended = {"TrangThaiHoSo": "10", "NgayKetThucXuLy": "20240305100000", **received}
    rows += [dossier(f"A-END-{i}", DonViXuLy=A, NgayHenTra="20240306170000", **ended) for i in range(4)]
    rows += [dossier("A-LATE", DonViXuLy=A, NgayHenTra="20240304170000", **ended)]
    received_b = {"NgayNopHoSo": "20240201080000", "NgayTiepNhan": "20240201090000"}
    rows += [dossier(f"B-{i}", DonViXuLy=B, KenhThucHien="1", **received_b) for i in range(300)]
    return rows


def _blank(release: Path, period: str, unit: str) -> Path:
    return release / "forms" / period / f"{unit}.xlsx"


def _rule_breaking_form(blank: Path, out: Path) -> Path:
    """B's 2024-BC-Q3 form with one bad table row per row rule, a code written twice and a
    code the form does not have (rows 27 and 28, where the note was)."""
    fill_form(
        blank,
        {
            "legal_docs_timely_rate": ("abc", 4),  # row 17: does not parse
            "civil_servant_cut_rate": (6, 5),  # row 18: numerator above denominator
            "public_employee_cut_rate": (-1, 5),  # row 19: negative
            "self_financing_unit_share": (1, 3),  # row 20: repeated on row 27
            "work_records_online_rate": (5, None),  # row 21: numerator without denominator
            "digital_inspection_rate": (None, 3),  # row 22: denominator without numerator
            "declared_received": ("1.250", None),  # row 23: kept
        },
        date(2024, 9, 5),
        out=out,
    )
    wb = openpyxl.load_workbook(out)
    ws = wb["Báo cáo"]
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row == 28:
            ws.unmerge_cells(str(merged))
    ws["A28"] = None
    ws["B27"], ws["D27"], ws["E27"] = "self_financing_unit_share", 1, 2
    ws["B28"], ws["D28"], ws["E28"] = "foo_rate", 1, 2
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def forms_department(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forms")
    drop = tmp / "forms"
    drop.mkdir()
    settings = Settings(
        warehouse=tmp / "wh" / "warehouse.duckdb",
        publish_dir=tmp / "published",
        hash_key="k",
        forms_dir=drop,
        unit_quarantine_threshold=1.0,
        source_quarantine_threshold=1.0,
        duckdb_memory_limit="1GB",
        file_stable_seconds=0.0,
    )
    land(settings, "thu-tuc", PROCEDURES)
    land(settings, "ho-so", _dossiers())
    first = run_dbt(settings)
    assert first.returncode == 0, first.stdout[-4000:]
    release = publish(settings).path

    # what the units send back
    q1 = lambda unit: _blank(release, "2024-BC-Q1", unit)
    # D sends a valid form on time, then saves a broken one over it (same path, a date that
    # does not exist): the first is still a form that was sent, and the only valid one
    fill_form(q1(D), {"legal_docs_timely_rate": (1, 1)}, "07/03/2024", out=drop / "D" / "q1.xlsx")
    with open_warehouse(settings) as con:
        assert intake_folder(con, settings, "forms").files_loaded == 1
    fill_form(
        q1(A),
        {
            "legal_docs_timely_rate": (3, 4),
            "digital_inspection_rate": (2, 5),
            "declared_received": (15, None),  # = 15
            "declared_received_online": (14, None),  # 11 + 3: mismatch
            "declared_ended": (7, None),  # 5 + 2: within max(2, 1 %)
            "declared_ended_on_time": (4, None),
        },
        datetime(2024, 3, 8),  # an Excel date
        out=drop / "A" / "q1.xlsx",
    )
    (drop / "copies").mkdir()
    shutil.copyfile(drop / "A" / "q1.xlsx", drop / "copies" / "A-q1-again.xlsx")  # the same form again
    fill_form(
        q1(B),
        {
            "legal_docs_timely_rate": (1, 1),
            "declared_received": ("303", None),  # 300 + 3: within 1 % of 300
            "declared_received_online": (4, None),  # 0 + 4: mismatch
        },
        "15/03/2024",  # text, 5 days late
        preparer=PREPARER,
        phone=PHONE,
        out=drop / "B" / "q1.xlsx",
    )
    fill_form(q1(C), {"legal_docs_timely_rate": (1, 2)}, "09/03/2024", out=drop / "C" / "q1.xlsx")
    fill_form(
        q1(C),
        {"legal_docs_timely_rate": (2, 2), "declared_received": (2, None)},
        "20/03/2024",
        out=drop / "C" / "q1b.xlsx",
    )
    fill_form(q1(D), {"legal_docs_timely_rate": (1, 1)}, "31/02/2024", out=drop / "D" / "q1.xlsx")

    # 2024-BC-Q3: the row rules
    q3 = lambda unit: _blank(release, "2024-BC-Q3", unit)
    _rule_breaking_form(q3(B), drop / "B" / "q3.xlsx")
    bad_unit = fill_form(q3(A), {"legal_docs_timely_rate": (1, 1)}, "01/09/2024", out=drop / "e1.xlsx")
    wb = openpyxl.load_workbook(bad_unit)
    wb["Báo cáo"]["C10"] = "XYZ99"
    wb.save(bad_unit)
    bad_period = fill_form(q3(A), {"legal_docs_timely_rate": (1, 1)}, "01/09/2024", out=drop / "e2.xlsx")
    wb = openpyxl.load_workbook(bad_period)
    wb["Báo cáo"]["C11"] = "2024-BC-Q5"
    wb.save(bad_period)
    fill_form(q3(A), {"legal_docs_timely_rate": (1, 1)}, None, out=drop / "e3.xlsx")  # no Ngày báo cáo
    no_table = fill_form(q3(C), {}, "01/09/2024", out=drop / "C" / "q3.xlsx")
    wb = openpyxl.load_workbook(no_table)
    wb["Báo cáo"]["D16"] = "Số liệu"  # the table header loses Tử số
    wb.save(no_table)
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = "Mã đơn vị"
    wb.save(drop / "no-sheet.xlsx")
    (drop / "forms.csv").write_text("Mã chỉ tiêu,Tử số,Mẫu số\n", encoding="utf-8")

    # a unit early for a period not yet due (plan year 2030 then has data)
    con = duckdb.connect(str(release / "warehouse.duckdb"), read_only=True)
    try:
        [early] = [p for p in write_forms(con, tmp / "on-demand", "Sở GD&ĐT", ["2030-BC-Q1"]) if p.stem == A]
    finally:
        con.close()
    fill_form(early, {"legal_docs_timely_rate": (1, 1)}, "01/03/2030", out=drop / "A" / "2030-q1.xlsx")

    logged = _Lines()
    for name in ("orchestration", "connectors"):
        logging.getLogger(name).addHandler(logged)
    try:
        with open_warehouse(settings) as con:
            result = intake_folder(con, settings, "forms")
        second = run_dbt(settings)
        assert second.returncode == 0, second.stdout[-4000:]
        logged.lines.append(second.stdout)
        after = publish(settings).path
    finally:
        for name in ("orchestration", "connectors"):
            logging.getLogger(name).removeHandler(logged)
    yield settings, result, release, after, logged.lines


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_the_publication_writes_a_prefilled_form_for_each_unit_due(forms_department):
    _, _, release, _, _ = forms_department
    written = sorted(p.relative_to(release / "forms").as_posix() for p in (release / "forms").rglob("*.xlsx"))
    periods = ("2024-BC-6T", "2024-BC-NAM", "2024-BC-Q1", "2024-BC-Q3")
    assert written == [f"{p}/{u}.xlsx" for p in periods for u in (A, B, C, D)]
    ws = openpyxl.load_workbook(_blank(release, "2024-BC-Q1", A))["Báo cáo"]
    texts = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert "Văn phòng Sở Giáo dục và Đào tạo".upper() in texts
    assert any("Báo cáo quý I năm 2024" in t for t in texts) and any("10/03/2024" in t for t in texts)
    assert ws["C10"].value == A and ws["C11"].value == "2024-BC-Q1"
    # the portal's own figures beside the declared counts, protected; the cells to fill open
    reference = {ws.cell(r, 2).value: ws.cell(r, 6).value for r in range(23, 27)}
    assert reference == {
        "declared_received": 15,
        "declared_received_online": 11,
        "declared_ended": 5,
        "declared_ended_on_time": 4,
    }
    assert ws.protection.sheet and ws["F23"].protection.locked and not ws["D23"].protection.locked
    assert ws["E23"].protection.locked and not ws["E17"].protection.locked  # a declared count has no Mẫu số
    rules = {str(v.sqref): (v.type, v.operator, v.formula1) for v in ws.data_validations.dataValidation}
    assert ("whole", "greaterThanOrEqual", "0") in rules.values()
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_the_intake_reads_every_form_and_rejects_what_is_not_one(forms_department):
    _, result, _, _, _ = forms_department
    assert result.files_already_loaded == 1  # A's form again, under another name
    assert result.files_loaded == 10 and result.files_rejected == 3
    rejected = " ".join(result.rejected)
    assert "no-sheet.xlsx" in rejected and "forms.csv" in rejected and "C/q3.xlsx" in rejected


def test_filled_forms_read_back_exactly_what_was_typed(forms_department):
    settings, _, _, _, _ = forms_department
    rows = query(
        settings,
        """select unit_code, indicator_code, numerator, denominator, report_date, source_file
           from marts.fct_form_indicators where period_key = '2024-BC-Q1' order by 1, 2""",
    )
    assert rows == [
        (A, "declared_ended", 7, None, date(2024, 3, 8), "A/q1.xlsx"),
        (A, "declared_ended_on_time", 4, None, date(2024, 3, 8), "A/q1.xlsx"),
        (A, "declared_received", 15, None, date(2024, 3, 8), "A/q1.xlsx"),
        (A, "declared_received_online", 14, None, date(2024, 3, 8), "A/q1.xlsx"),
        (A, "digital_inspection_rate", 2, 5, date(2024, 3, 8), "A/q1.xlsx"),
        (A, "legal_docs_timely_rate", 3, 4, date(2024, 3, 8), "A/q1.xlsx"),
        (B, "declared_received", 303, None, date(2024, 3, 15), "B/q1.xlsx"),
        (B, "declared_received_online", 4, None, date(2024, 3, 15), "B/q1.xlsx"),
        (B, "legal_docs_timely_rate", 1, 1, date(2024, 3, 15), "B/q1.xlsx"),
        # C resent: the later form counts whole, the earlier one is set aside
        (C, "declared_received", 2, None, date(2024, 3, 20), "C/q1b.xlsx"),
        (C, "legal_docs_timely_rate", 2, 2, date(2024, 3, 20), "C/q1b.xlsx"),
        (D, "legal_docs_timely_rate", 1, 1, date(2024, 3, 7), rows[-1][5]),
    ]
    assert rows[-1][5].startswith("D/q1.xlsx@")  # the earlier version of a path is named by its hash


def test_every_status_of_the_submission_table(forms_department):
    settings, _, _, _, _ = forms_department
    rows = query(
        settings,
        """select period_key, unit_code, status, report_date, days_late, forms_received, source_file
           from marts.form_submissions order by 1, 2""",
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert {p for p, _ in got} == {
        "2024-BC-Q1",
        "2024-BC-6T",
        "2024-BC-Q3",
        "2024-BC-NAM",
        *(f"2030-BC-{k}" for k in ("Q1", "6T", "Q3", "NAM")),
    }
    assert got[("2024-BC-Q1", A)] == ("on_time", date(2024, 3, 8), None, 1, "A/q1.xlsx")
    assert got[("2024-BC-Q1", B)] == ("late", date(2024, 3, 15), 5, 1, "B/q1.xlsx")
    # the earliest valid form decides timeliness; the latest one counts
    assert got[("2024-BC-Q1", C)] == ("on_time", date(2024, 3, 20), None, 2, "C/q1b.xlsx")
    # D: its first version (saved over since) is the only valid form; the broken one is quarantined
    [(d_file,)] = query(
        settings,
        "select source_file from marts.form_submissions where unit_code = ? and period_key = '2024-BC-Q1'",
        [D],
    )
    assert d_file.startswith("D/q1.xlsx@")
    assert got[("2024-BC-Q1", D)] == ("on_time", date(2024, 3, 7), None, 2, d_file)
    assert got[("2024-BC-6T", A)] == ("missing", None, None, 0, None)
    assert got[("2024-BC-Q3", A)] == ("rejected", None, None, 1, None)  # e3: no Ngày báo cáo (e2 names no period)
    assert got[("2024-BC-Q3", B)] == ("on_time", date(2024, 9, 5), None, 1, "B/q3.xlsx")
    assert got[("2024-BC-Q3", C)] == ("rejected", None, None, 1, None)  # a rejected file naming C and Q3
    assert got[("2024-BC-Q3", D)] == ("missing", None, None, 0, None)
    assert got[("2030-BC-Q1", A)] == ("on_time", date(2030, 3, 1), None, 1, "A/2030-q1.xlsx")
    assert got[("2030-BC-Q1", B)] == ("not_due", None, None, 0, None)
    assert len(got) == 8 * 4


def test_self_reported_rates_and_timeliness_in_the_scorecard(forms_department):
    settings, _, _, _, _ = forms_department
    rows = query(
        settings,
        """select unit_code, kpi_code, numerator, denominator, target, met from marts.kpi_scorecard
           where period_type = 'report' and kpi_code in (select kpi_code from marts.dim_kpis where is_self_reported)
             and period_key = '2024-BC-Q1' order by 2, 1""",
    )
    assert rows == [
        (A, "digital_inspection_rate", 2, 5, 0.4, True),
        ("ALL", "digital_inspection_rate", 2, 5, 0.4, True),
        ("ALL", "form_on_time_rate", 3, 4, 1.0, False),  # A, C and D on time; B late
        (A, "legal_docs_timely_rate", 3, 4, 1.0, False),
        (B, "legal_docs_timely_rate", 1, 1, 1.0, True),
        (C, "legal_docs_timely_rate", 2, 2, 1.0, True),
        (D, "legal_docs_timely_rate", 1, 1, 1.0, True),
        ("ALL", "legal_docs_timely_rate", 7, 8, 1.0, False),
    ]
    timeliness = dict(
        query(settings, "select period_key, value from marts.kpi_scorecard where kpi_code = 'form_on_time_rate'")
    )
    assert timeliness == {"2024-BC-Q1": 0.75, "2024-BC-6T": 0.0, "2024-BC-Q3": 0.25, "2024-BC-NAM": 0.0}
    assert query(settings, "select is_self_reported from marts.dim_kpis where kpi_code = 'online_dossier_rate'") == [
        (False,)
    ]


def test_declared_counts_are_checked_against_the_portal_on_both_sides_of_the_tolerance(forms_department):
    settings, _, _, _, _ = forms_department
    rows = query(
        settings,
        """select unit_code, check_code, declared, computed, difference, mismatch from marts.form_crosschecks
           where period_key = '2024-BC-Q1' order by 1, 2""",
    )
    assert rows == [
        (A, "declared_ended", 7, 5, 2, False),  # 2 is not above max(2, 0.05)
        (A, "declared_ended_on_time", 4, 4, 0, False),
        (A, "declared_received", 15, 15, 0, False),
        (A, "declared_received_online", 14, 11, 3, True),  # 3 > max(2, 0.11)
        (B, "declared_received", 303, 300, 3, False),  # 3 is not above max(2, 3)
        (B, "declared_received_online", 4, 0, 4, True),
        (C, "declared_received", 2, 0, 2, False),
    ]
    warned = query(
        settings,
        """select unit_code, record_key from marts.data_warnings
           where warning_code = 'declared_vs_portal_mismatch' and record_key like '2024-BC-Q1 %' order by 1""",
    )
    assert [u for u, _ in warned] == [A, B] and "kê khai 14, hệ thống 11" in warned[0][1]


def test_every_row_rule_of_the_form_is_caught(forms_department):
    settings, _, _, _, _ = forms_department
    rows = query(
        settings,
        "select source_location, reason_codes, unit_code from marts.quarantine where source_name = 'forms' order by 1",
    )
    assert rows == [
        ("B/q3.xlsx!Báo cáo#17", "form_number_invalid", B),
        ("B/q3.xlsx!Báo cáo#18", "form_numerator_above_denominator", B),
        ("B/q3.xlsx!Báo cáo#19", "form_number_negative", B),
        ("B/q3.xlsx!Báo cáo#20", "form_indicator_repeated", B),
        ("B/q3.xlsx!Báo cáo#21", "form_rate_incomplete", B),
        ("B/q3.xlsx!Báo cáo#22", "form_rate_incomplete", B),
        ("B/q3.xlsx!Báo cáo#27", "form_indicator_repeated", B),
        ("D/q1.xlsx!Báo cáo#12", "form_report_date_invalid", D),
        ("e1.xlsx!Báo cáo#10", "form_unit_unknown", "XYZ99"),
        ("e2.xlsx!Báo cáo#11", "form_period_unknown", A),
        ("e3.xlsx!Báo cáo#12", "form_report_date_invalid", A),
    ]
    files = dict(query(settings, "select source_url, reason_code from marts.quarantine where source_name = 'files'"))
    assert files == {
        "forms/no-sheet.xlsx": "form_sheet_missing",
        "forms/C/q3.xlsx": "form_table_missing",
        "forms/forms.csv": "file_type_unsupported",
    }
    # the code the form does not have is a warning; the row it is on counts nowhere
    assert query(
        settings, "select source_location from marts.data_warnings where warning_code = 'form_indicator_unknown'"
    ) == [("B/q3.xlsx #28",)]
    assert query(
        settings,
        "select indicator_code, numerator from marts.fct_form_indicators where period_key = '2024-BC-Q3' order by 1",
    ) == [("declared_received", 1250), ("foo_rate", 1)]


def test_every_form_row_is_kept_quarantined_or_set_aside(forms_department):
    settings, _, _, _, _ = forms_department
    rows = query(
        settings,
        """select bool_and(is_balanced), sum(rows_read), sum(rows_kept), sum(rows_quarantined), sum(rows_set_aside)
           from marts.reconciliation where source = 'forms'""",
    )
    balanced, read, kept, quarantined, set_aside = rows[0]
    assert balanced and quarantined == 11 and read == kept + quarantined + set_aside
    # a quarantined form's other rows and a superseded form's rows are set aside, with their reason
    reasons = dict(
        query(
            settings,
            """select set_aside_reason, count(*) from intermediate.int_forms__rows_checked
               where set_aside_reason is not null group by 1""",
        )
    )
    # D's Q1 and e1-e3: 2 block rows and 1 table row each; C's first Q1 form: 3 block rows, 1 table row
    assert reasons == {"form_not_counted": 4 * 3, "form_superseded": 3 + 1}


def test_no_preparer_name_or_phone_lands_anywhere(forms_department):
    settings, _, release, after, logged = forms_department
    for database in (Path(settings.warehouse), release / "warehouse.duckdb", after / "warehouse.duckdb"):
        con = duckdb.connect(str(database), read_only=True)
        try:
            columns = con.execute(
                """select table_schema, table_name, column_name from information_schema.columns
                   where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"""
            ).fetchall()
            for schema, table, column in columns:
                found = con.execute(
                    f'select count(*) from "{schema}"."{table}" where "{column}" like ? or "{column}" like ?',
                    [f"%{PREPARER}%", "%987 654%"],
                ).fetchone()[0]
                assert found == 0, f"{schema}.{table}.{column} holds the preparer's name or phone"
        finally:
            con.close()
    # nor in any file of the publication (feedback, reports, forms, Parquet) or the run's log
    for path in after.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                text = " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
        elif path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
        else:
            continue
        assert PREPARER not in text and "987 654" not in text, path
    assert logged and not any(PREPARER in line or "987 654" in line for line in logged)
