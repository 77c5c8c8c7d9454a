"""The export readers on real .xlsx and .csv files with the mess real exports have."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import duckdb
import openpyxl
import pytest

from connectors.exports import LAYOUTS, UnreadableFile, normalise_header, plan_csv, read_xlsx
from connectors.personal import pseudonym
from sandbox.exports import to_cp1258
from sandbox.portal_data import nfd

KEY = b"test-key"
MOET = tuple(layout for layout in LAYOUTS if layout.folder == "moet")
PAYMENTS = tuple(layout for layout in LAYOUTS if layout.folder == "payments")


def test_header_text_is_compared_normalised_with_diacritics_kept():
    assert normalise_header(nfd("  Mã   Trường (*) ")) == "mã trường"
    assert normalise_header("Huyện / Thành phố") == "huyện/thành phố"
    assert normalise_header("Số tiền (VNĐ)") == "số tiền"
    assert normalise_header("Ma truong") != normalise_header("Mã trường")


def _assessment_workbook(path):
    """Title rows, a merged title, a two-row header with merged cells and NFD text, an STT
    column, columns in a template's own order, dates as text, as date cells and as Excel
    serial numbers, a decimal comma, a blank row and a signature footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "BỘ GIÁO DỤC VÀ ĐÀO TẠO"
    ws["A2"] = "DANH SÁCH TỰ ĐÁNH GIÁ"
    ws.merge_cells("A2:G2")
    top = ["STT", nfd("Ngày đánh giá"), "Mã trường", "Năm học", nfd("Dạy học"), None, "Quản trị"]
    sub = [None, None, None, None, nfd("Điểm CĐS dạy học"), "Mức dạy học", nfd("Điểm CĐS quản trị")]
    for j, (a, b) in enumerate(zip(top, sub), start=1):
        ws.cell(row=4, column=j, value=a)
        ws.cell(row=5, column=j, value=b)
    ws.merge_cells("E4:F4")
    for j in (1, 2, 3, 4):
        ws.merge_cells(start_row=4, start_column=j, end_row=5, end_column=j)
    ws.append([1, date(2024, 4, 2), "96010001", "2023-2024", 67.5, "Mức 2", "80"])  # row 6
    ws.cell(row=6, column=2).number_format = "dd/mm/yyyy"
    ws.append([2, 45400, "96010002", "2023-2024", "67,5", "Mức 2", 49])  # row 7: serial date
    ws.append([None, None, None, None, None, None, None])  # row 8: blank
    ws.append([3, "15/05/2024", "96010003", "2023-2024", 101, "", 50])  # row 9
    ws.append(["", "", "", "", "", "", ""])
    ws.append(["", "", "", "", "Người lập biểu", "", ""])  # footer
    ws.append(["", "", "", "", "(Ký, ghi rõ họ tên)", "", ""])
    wb.save(path)


def test_xlsx_reader_finds_the_header_under_titles_and_merged_cells(tmp_path):
    path = tmp_path / "cds.xlsx"
    _assessment_workbook(path)
    table, read = read_xlsx(path, MOET, KEY)
    assert read.layout.source == "moet.assessments"
    assert read.header_row == 5 and read.sheets == ["Sheet1"]
    assert read.rows_read == 3 and read.rows_blank == 2 and read.rows_footer == 2  # rows 8, 10; rows 11-12
    rows = table.to_pylist()
    assert [r["_row"] for r in rows] == [6, 7, 9]
    assert [r["ma_truong"] for r in rows] == ["96010001", "96010002", "96010003"]
    # values as a person reads them: a date cell as dd/mm/yyyy, a serial number as the
    # number (parsed to a date in dbt), a float without a spurious .0, text as written
    assert [r["ngay_danh_gia"] for r in rows] == ["02/04/2024", "45400", "15/05/2024"]
    assert [r["diem_day_hoc"] for r in rows] == ["67.5", "67,5", "101"]
    assert [r["diem_quan_tri"] for r in rows] == ["80", "49", "50"]
    assert rows[0]["muc_day_hoc"] == "Mức 2" and rows[0]["muc_quan_tri"] is None  # no such column


def test_xlsx_without_a_known_header_is_unreadable(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Họ tên", "Ngày sinh"])
    wb.active.append(["Nguyễn Văn A", "01/01/2010"])
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(UnreadableFile) as exc:
        read_xlsx(tmp_path / "other.xlsx", MOET, KEY)
    assert exc.value.reason_code == "header_not_found"


def test_xlsx_student_codes_are_pseudonymised_before_landing(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "Mã trường",
            "Mã học sinh",
            "Năm học",
            "Khoản thu",
            "Số tiền",
            "Hình thức thanh toán",
            "Ngày thu",
            "Số biên lai",
        ]
    )
    ws.append(
        ["96010001", "079123456789", "2023-2024", "Học phí", 1500000, "Tiền mặt", datetime(2024, 1, 5, 0, 0), "BL1"]
    )
    wb.save(tmp_path / "thu.xlsx")
    table, _ = read_xlsx(tmp_path / "thu.xlsx", PAYMENTS, KEY)
    row = table.to_pylist()[0]
    assert "ma_hoc_sinh" not in row
    assert row["ma_hoc_sinh_hash"] == pseudonym("079123456789", KEY)
    assert "079123456789" not in str(table.to_pydict())
    assert row["so_tien"] == "1500000" and row["ngay_thu"] == "05/01/2024"


def _load_csv(plan, con):
    """The rows as the intake lands them, and whether their lines are header line + ordinal."""
    _, select, registered = plan.prepare(con, KEY)
    for name, table in registered.items():
        con.register(name, table)
    return con.execute(select + " order by _row").fetchall(), not registered


def test_windows_1258_csv_with_semicolons_titles_blank_lines_quotes_and_footer(tmp_path):
    text = (
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO;;;;;;;;\n"
        "DANH SÁCH KHOẢN THU;;;;;;;;\n"
        "STT;Mã học sinh;Mã trường;Năm học;Khoản thu;Số tiền;Hình thức thanh toán;Ngày thu;Số biên lai\n"
        "1;079123456789;96010001;2023-2024;Học phí;1.500.000 đ;Tiền mặt;05/09/2023;BL1\n"  # line 4
        "\n"
        '2;079123456780;96010001;2023-2024;"Tiền ăn\nbán trú";"1,500,000";Chuyển khoản;06/09/2023;BL2\n'  # 6-7
        "3;;;;;;;;\n"
        "4;079123456781;96010001;2023-2024;Học phí;-150000 VNĐ;QR;07/09/2023;BL3\n"  # line 9
        "Tổng cộng;;;;;2.850.000;;;\n"
        ";;;;;;;Người lập biểu;\n"
    )
    path = tmp_path / "thu.csv"
    path.write_bytes(to_cp1258(text))
    inputs_before = path.read_bytes()
    plan = plan_csv(path, PAYMENTS, tmp_path / "work")
    assert plan.read.encoding == "cp1258" and plan.read.delimiter == ";"
    assert plan.read.layout.source == "payments.collections" and plan.read.rows_footer == 2
    assert plan.path != path  # transcoded into the work folder, the input left as it was
    with duckdb.connect() as con:
        rows, exact = _load_csv(plan, con)
    assert not exact
    assert path.read_bytes() == inputs_before
    cols = [f.column for f in plan.read.layout.fields]
    got = sorted((dict(zip([*cols, "_sheet", "_row"], r)) for r in rows), key=lambda g: g["_row"])
    # line 5 is blank and line 8 holds only an STT: neither is a record
    assert [g["_row"] for g in got] == [4, 6, 9]
    assert [g["so_tien"] for g in got] == ["1.500.000 đ", "1,500,000", "-150000 VNĐ"]
    # Windows-1258 keeps tone marks combining: NFC comes in dbt staging
    assert unicodedata.normalize("NFC", got[0]["khoan_thu"]) == "Học phí"
    assert got[0]["ma_hoc_sinh_hash"] == pseudonym("079123456789", KEY)
    assert got[2]["ma_hoc_sinh_hash"] == pseudonym("079123456781", KEY)
    assert "079123456789" not in str(rows)


def test_utf8_bom_csv_with_commas_numbers_rows_from_the_header_line(tmp_path):
    path = tmp_path / "gd.csv"
    lines = ["STT,Mã giao dịch,Mã hồ sơ,Mã TTHC,Số tiền,Trạng thái,Kênh thanh toán,Ngân hàng,Thời gian giao dịch"]
    lines += [f"{i},GD{i},HS{i},1.000001,50000,Thành công,PayGov,BIDV,0{i}/03/2024 10:00:00" for i in range(1, 4)]
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    plan = plan_csv(path, PAYMENTS, tmp_path / "work")
    assert plan.path == path and plan.read.encoding == "utf-8 BOM" and plan.read.delimiter == ","
    with duckdb.connect() as con:
        rows, exact = _load_csv(plan, con)
    assert exact and sorted(r[-2] for r in rows) == [2, 3, 4]  # (..., _sheet, _row, _row_seq)
    assert rows[0][0] == "GD1"


@pytest.mark.parametrize("blank_line", [False, True])
def test_a_large_csv_keeps_every_rows_line_on_two_threads(tmp_path, blank_line):
    """Enough rows for DuckDB's reader to split the file between threads: each row's
    ordinal, and so its line, must still be its place in the file, also on a connection
    that lets DuckDB reorder rows (the stage keeps the file's order itself)."""
    header = "STT,Mã học sinh,Mã trường,Năm học,Khoản thu,Số tiền,Hình thức thanh toán,Ngày thu,Số biên lai"
    rows = 400_000
    body = [f"{i},0791{i % 5000:08d},96010001,2023-2024,Học phí,150000,Tiền mặt,05/09/2023,BL{{}}" for i in range(rows)]
    lines = [header]
    for i, row in enumerate(body):
        if blank_line and i == 3:
            lines.append("")
        lines.append(row.format(len(lines) + 1))  # the receipt number names the row's own line
    path = tmp_path / "thu.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = plan_csv(path, PAYMENTS, tmp_path / "work")
    with duckdb.connect(config={"threads": 2}) as con:
        con.execute("set preserve_insertion_order = false")
        got, exact = _load_csv(plan, con)
    assert exact is not blank_line
    receipt = [f.column for f in plan.read.layout.fields].index("so_bien_lai")
    assert len(got) == rows
    assert [r[receipt] for r in got] == [f"BL{r[-2]}" for r in got]  # (..., _sheet, _row, _row_seq)
    assert got[0][-2] == 2 and got[-1][-2] == rows + 1 + blank_line


def test_csv_missing_a_required_column_is_rejected_with_the_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Mã giao dịch,Mã hồ sơ,Trạng thái\nGD1,HS1,Thành công\n", encoding="utf-8")
    with pytest.raises(UnreadableFile) as exc:
        plan_csv(path, PAYMENTS, tmp_path / "work")
    assert exc.value.reason_code == "columns_missing" and "so_tien" in str(exc.value)
