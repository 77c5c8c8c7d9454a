"""A unit's feedback workbook, its tables' rows written into the saved file in place of a
marker row each (orchestration/feedback.py, ``_save``): every value reads back as
``text_cell`` would have written it, a text starting like a formula stays text with the
quote prefix, and the small table under a sheet's table moves down to make room."""

from __future__ import annotations

import zipfile
from datetime import datetime
from unittest import mock

import duckdb
from openpyxl import load_workbook

from orchestration import feedback

WARNINGS = [  # (record key, warning text, source row, needs action)
    ("H-1", '=HYPERLINK("http://x")', 11, True),
    ("H-2", " thiếu <b>&amp; \x07", 12, True),
    ("H-3", "", 13, True),
    ("H-4", None, None, True),
    ("H-5", "Đã chuẩn hóa NFD", 14, False),
    ("H-6", "Đã chuẩn hóa NFD", 15, False),
]


def _marts() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.quarantine (unit_code varchar, source_name varchar, source_url varchar, "
        "source_page integer, source_row integer, reason_vi varchar, reason_codes varchar, record varchar)"
    )
    con.execute(
        "create table marts.form_submissions (unit_code varchar, period_key varchar, due_date date, status varchar, "
        "report_date date, days_late integer, forms_received integer, source_file varchar, note varchar)"
    )
    con.execute("create table marts.dim_units as select 'U1' as unit_code, 'Trường A' as unit_name")
    con.execute(
        "create table marts.data_warnings (unit_code varchar, source_name varchar, source_url varchar, "
        "source_page integer, source_row integer, record_key varchar, warning_vi varchar, warning_code varchar, "
        "needs_action boolean)"
    )
    con.executemany(
        "insert into marts.data_warnings values ('U1', 'moet.schools', 'moet/truong.xlsx', null, ?, ?, ?, 'W1', ?)",
        [[row, key, text, action] for key, text, row, action in WARNINGS],
    )
    return con


def test_table_rows_read_back_as_written_cell_by_cell(tmp_path):
    with mock.patch.object(feedback, "vietnam_time", return_value=datetime(2026, 1, 2)):
        written = feedback.write_feedback(_marts(), tmp_path, "Sở Giáo dục và Đào tạo")
    path = written.paths["U1"]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    sheet = load_workbook(path)["Cảnh báo"]
    # rows 1-5 the header, 6 the table's header, 7-10 the four warnings to act on, ordered
    # by source row (nulls last), then a blank row and the small table of what was fixed
    assert sheet["B6"].value == "Nguồn dữ liệu" and sheet["A7"].value == 1
    table = [[c.value for c in row] for row in sheet.iter_rows(min_row=7, max_row=10, max_col=7)]
    assert [row[0] for row in table] == [1, 2, 3, 4]
    assert [row[2] for row in table] == ["H-1", "H-2", "H-3", "H-4"]
    assert [row[3] for row in table] == ['=HYPERLINK("http://x")', " thiếu <b>&amp; \ufffd", None, None]
    assert [row[5] for row in table] == [11, 12, 13, None]
    formula_like = sheet["D7"]
    assert formula_like.data_type == "s" and formula_like.quotePrefix  # text, and stays text when edited
    assert not sheet["D8"].quotePrefix
    assert all(c.value is None for c in sheet[11])
    assert [c.value for c in sheet[12]][:4] == [
        "STT",
        "Đã được hệ thống tự chuẩn hóa (đơn vị không cần xử lý)",
        "Tệp / nguồn",
        "Số bản ghi",
    ]
    assert sheet["A13"].value == 1 and sheet["B13"].value == "Đã chuẩn hóa NFD" and sheet["D13"].value == 2
    assert sheet.max_row == 13
    assert sheet.auto_filter.ref == "A6:G10" and sheet.freeze_panes == "A7"
    # a sheet with no rows says so, in the marker's place
    empty = load_workbook(path)["Hồ sơ bị cách ly"]
    assert [empty["A7"].value, empty["B7"].value] == ["–", "Không có"] and empty.max_row == 7
