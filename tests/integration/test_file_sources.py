"""The ministry and payment exports end to end: real files in read-only input folders,
the intake, and the real dbt project; every figure below is computed by hand."""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat

import openpyxl
import pytest

from orchestration.intake import intake_folder, work_dir
from orchestration.settings import Settings
from orchestration.warehouse import open_warehouse
from sandbox.exports import to_cp1258
from tests.crafted import PROCEDURES, dossier, fee
from tests.integration.dbt_helpers import land, query, run_dbt

U1 = "000.00.20.H12"


def _csv(path, rows, delimiter=",", encoding="utf-8", titles=(), footer=()):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for t in titles:
        w.writerow([t])
    w.writerows(rows)
    for f in footer:
        w.writerow(f)
    data = to_cp1258(buf.getvalue()) if encoding == "cp1258" else buf.getvalue().encode("utf-8")
    path.write_bytes(data)


def _xlsx(path, rows, titles=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    for t in titles:
        ws.append([t])
    for r in rows:
        ws.append(r)
    wb.save(path)


SCHOOL_HEADER = [
    "STT",
    "Mã trường",
    "Tên trường",
    "Cấp học",
    "Loại hình",
    "Đơn vị quản lý",
    "Huyện/Thành phố",
    "Xã/Phường",
    "Số học sinh",
    "Số giáo viên",
    "Trạng thái",
]
TXN_HEADER = [
    "STT",
    "Mã giao dịch",
    "Mã hồ sơ",
    "Mã TTHC",
    "Số tiền",
    "Trạng thái",
    "Kênh thanh toán",
    "Ngân hàng",
    "Thời gian giao dịch",
]
COLL_HEADER = [
    "STT",
    "Mã trường",
    "Mã học sinh",
    "Năm học",
    "Khoản thu",
    "Số tiền",
    "Hình thức thanh toán",
    "Ngày thu",
    "Số biên lai",
]
X, Y = "079100000001", "079100000002"  # student codes (12-digit identity numbers)


def write_exports(moet, payments):
    _xlsx(
        moet / "truong_2023.xlsx",
        [
            SCHOOL_HEADER,
            [
                1,
                "S1",
                "Trường THCS A",
                "THCS",
                "Công lập",
                "Phòng GD&ĐT A",
                "Huyện A",
                "Xã 1",
                400,
                20,
                "Đang hoạt động",
            ],
            [2, "S2", "Trường THPT B", "THPT", "Công lập", "Sở GD&ĐT", "Huyện A", "Xã 2", 900, 50, "Đang hoạt động"],
            [
                3,
                "S3",
                "Trường TH C",
                "Tiểu học",
                "Công lập",
                "Phòng GD&ĐT A",
                "Huyện A",
                "Xã 3",
                300,
                15,
                "Đang hoạt động",
            ],
            [4, "", "Trường không mã", "THCS", "Công lập", "Phòng GD&ĐT A", "Huyện A", "", 10, 2, ""],
            ["Tổng cộng", "", "", "", "", "", "", "", 1610, 87, ""],
        ],
        titles=["BỘ GIÁO DỤC VÀ ĐÀO TẠO", "DANH SÁCH TRƯỜNG", "Tính đến ngày 05/09/2023"],
    )
    # a year later S1 is managed by another office, in another district
    _xlsx(
        moet / "truong_2024.xlsx",
        [
            SCHOOL_HEADER,
            [
                1,
                "S1",
                "Trường THCS A",
                "THCS",
                "Công lập",
                "Phòng GD&ĐT B",
                "Huyện B",
                "Xã 1",
                410,
                20,
                "Đang hoạt động",
            ],
            [2, "S2", "Trường THPT B", "THPT", "Công lập", "Sở GD&ĐT", "Huyện A", "Xã 2", 900, 50, "Đang hoạt động"],
            [
                3,
                "S3",
                "Trường TH C",
                "Tiểu học",
                "Công lập",
                "Phòng GD&ĐT A",
                "Huyện A",
                "Xã 3",
                300,
                15,
                "Đang hoạt động",
            ],
        ],
        titles=["DANH SÁCH TRƯỜNG", "Tính đến ngày 06/09/2024"],
    )
    _csv(
        moet / "cds.csv",
        [
            [
                "STT",
                "Mã trường",
                "Năm học",
                "Điểm CĐS dạy học",
                "Mức dạy học",
                "Điểm CĐS quản trị",
                "Mức quản trị",
                "Ngày đánh giá",
            ],
            [1, "S1", "2023-2024", "60", "Mức 2", "80", "Mức 3", "01/04/2024"],
            [2, "S1", "2023-2024", "40", "Mức 1", "80", "Mức 3", "20/04/2024"],  # later: supersedes row 1
            [3, "S2", "2023-2024", "50", "Mức 2", "75", "Mức 3", "02/04/2024"],  # 75 is Mức 2: a label warning
            [4, "S3", "2023 - 2024", "67,5", "Mức 2", "90", "Mức 3", "03/04/2024"],
            [5, "S9", "2023-2024", "70", "Mức 2", "70", "Mức 2", "04/04/2024"],  # unknown school
            [6, "S3", "2022-2023", "120", "Mức 3", "90", "Mức 3", "03/04/2023"],  # score out of range
        ],
    )
    _csv(
        payments / "gd_dot1.csv",
        [
            TXN_HEADER,
            [1, "T1", "P1", "1.000001", "100.000 đ", "Thành công", "PayGov", "BIDV", "05/03/2024 10:00:00"],
            [2, "T2", "P2", "1.000001", "50,000", "Đang xử lý", "PayGov", "BIDV", "05/03/2024 11:00:00"],
            [3, "T3", "P4", "1.000001", "100000", "Thất bại", "PayGov", "BIDV", "05/03/2024 12:00:00"],
            [4, "T4", "NO-SUCH", "1.000001", "100000", "Thành công", "PayGov", "BIDV", "05/03/2024 12:00:00"],
            [5, "T5", "P1", "1.000001", "12,5", "Thành công", "PayGov", "BIDV", "05/03/2024 12:00:00"],
            [6, "T6", "P1", "1.000001", "0", "Thành công", "PayGov", "BIDV", "05/03/2024 12:00:00"],
            [7, "T7", "P4", "1.000001", "100000", "Thành công", "PayGov", "BIDV", "06/03/2024 12:00:00"],
        ],
        footer=[["Tổng cộng"]],
    )
    _xlsx(
        payments / "gd_dot2.xlsx",
        [
            [
                "STT",
                "Thời gian giao dịch",
                "Mã giao dịch",
                "Mã hồ sơ",
                "Mã TTHC",
                "Số tiền (VNĐ)",
                "Trạng thái",
                "Ngân hàng",
                "Kênh thanh toán",
            ],
            [1, "05/03/2024 10:00:00", "T1", "P1", "1.000001", 100000, "Thành công", "BIDV", "PayGov"],  # exact copy
            [2, "05/03/2024 11:00:00", "T2", "P2", "1.000001", 50000, "Thành công", "BIDV", "PayGov"],  # update
            [3, "06/03/2024 12:00:00", "T7", "P4", "1.000001", 100000, "Thành công", "VCB", "PayGov"],  # conflict
        ],
        titles=["CỔNG THANH TOÁN TỈNH"],
    )
    _csv(
        payments / "thu.csv",
        [
            COLL_HEADER,
            [1, "S1", X, "2024-2025", "Học phí", "1.000.000 đ", "Tiền mặt", "05/09/2024", "BL1"],
            [2, "S1", X, "2024-2025", "Học phí", "500000", "CK", "06/09/2024", "BL2"],
            [3, "S1", Y, "2024-2025", "Học phí", "-200.000", "Chuyển khoản", "07/09/2024", "BL3"],
            [4, "S1", X, "2024-2025", "Học phí", "500000", "CK", "06/09/2024", "BL2"],  # exact copy
            [5, "S1", Y, "2024-2025", "Tiền nước uống", "300,000 VNĐ", "QR", "08/09/2024", "BL5"],
            [6, "S9", Y, "2024-2025", "Học phí", "100000", "Tiền mặt", "08/09/2024", "BL6"],  # unknown school
            [7, "S1", Y, "2024-2025", "Học phí", "12,5", "Tiền mặt", "08/09/2024", "BL7"],  # amount
            [8, "S1", Y, "2024-2025", "Học phí", "100000", "Khác", "08/09/2024", "BL8"],  # method
            [9, "S1", Y, "2024-2025", "Học phí", "100000", "Tiền mặt", "31/02/2024", "BL9"],  # date
            [10, "S1", Y, "2024-2025", "Học phí", "100000", "Tiền mặt", "09/09/2024", "BL10"],  # conflict
            [11, "S1", Y, "2024-2025", "Học phí", "120000", "Tiền mặt", "09/09/2024", "BL10"],  # conflict
        ],
        delimiter=";",
        encoding="cp1258",
        titles=["DANH SÁCH KHOẢN THU"],
        footer=[["Tổng cộng"], ["Người lập biểu"]],
    )
    (payments / "ghi_chu.txt").write_text("không phải tệp xuất dữ liệu\n", encoding="utf-8")
    (payments / "mau_cu.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # the old binary Excel format


def read_only(*folders):
    for folder in folders:
        for path in [folder, *folder.iterdir()]:
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def writable(*folders):
    for folder in folders:
        for path in [folder, *folder.iterdir()]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def intake_and_build(settings):
    with open_warehouse(settings) as con:
        results = [intake_folder(con, settings, "moet"), intake_folder(con, settings, "payments")]
    done = run_dbt(settings)
    assert done.returncode == 0, done.stdout[-4000:]
    return results


@pytest.fixture(scope="module")
def department(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("files")
    moet, payments = tmp / "moet", tmp / "payments"
    moet.mkdir()
    payments.mkdir()
    write_exports(moet, payments)
    read_only(moet, payments)
    settings = Settings(
        warehouse=tmp / "wh" / "warehouse.duckdb",
        hash_key="k",
        moet_dir=moet,
        payments_dir=payments,
        unit_quarantine_threshold=0.9,
        source_quarantine_threshold=1.0,
        duckdb_memory_limit="1GB",
        file_stable_seconds=0.0,
    )
    land(settings, "thu-tuc", PROCEDURES)
    received = {"NgayTiepNhan": "20240305090000", "NgayNopHoSo": "20240305080000"}
    land(
        settings,
        "ho-so",
        [
            dossier("P1", DanhSachLePhi=[fee("100.000")], DuocThanhToanTrucTuyen="1", **received),  # flag + txn
            dossier("P2", DanhSachLePhi=[fee("50000")], DuocThanhToanTrucTuyen="0", **received),  # txn only
            dossier("P3", DanhSachLePhi=[fee("100000")], DuocThanhToanTrucTuyen="2", **received),  # flag only
            dossier("P4", DanhSachLePhi=[fee("100000")], DuocThanhToanTrucTuyen="0", **received),  # conflict, failed
        ],
    )
    results = intake_and_build(settings)
    yield settings, results, moet, payments
    writable(moet, payments)


def test_every_file_is_loaded_or_rejected_with_a_reason(department):
    settings, (moet_result, pay_result), moet, payments = department
    assert moet_result.files_loaded == 3 and pay_result.files_loaded == 3
    assert pay_result.files_rejected == 2 and "ghi_chu.txt" in pay_result.rejected[0]
    rows = query(
        settings,
        """select record_key, reason_code from marts.quarantine
                              where source_name = 'files' order by 1""",
    )
    assert [(key.split("@")[0], reason) for key, reason in rows] == [
        ("payments/ghi_chu.txt", "header_not_found"),
        ("payments/mau_cu.xls", "file_type_unsupported"),
    ]
    # transcoded copies, cut copies and CSV stages are gone, whether their file loaded or not
    assert not any(work_dir(settings).iterdir())


def test_rows_read_equal_kept_quarantined_and_set_aside_per_file(department):
    settings = department[0]
    rows = {
        r[0]: r[1:]
        for r in query(
            settings,
            """
        select source_file, rows_read, rows_kept, rows_quarantined, rows_set_aside, is_balanced
        from marts.reconciliation where source_file is not null""",
        )
    }
    assert rows["moet/truong_2023.xlsx"] == (4, 3, 1, 0, True)
    assert rows["moet/cds.csv"] == (6, 3, 2, 1, True)
    assert rows["payments/gd_dot1.csv"] == (7, 2, 4, 1, True)  # T2 pending → set aside as updated
    assert rows["payments/gd_dot2.xlsx"] == (3, 1, 1, 1, True)  # T1 exact copy; T7 conflict
    assert rows["payments/thu.csv"] == (11, 4, 6, 1, True)


def test_every_row_rule_catches_its_bad_row(department):
    settings = department[0]
    got = set(query(settings, "select source_name, source_location, reason_code from marts.quarantine"))
    expected = {
        ("moet.schools", "moet/truong_2023.xlsx!Sheet#8", "school_code_missing"),
        ("moet.assessments", "moet/cds.csv!#6", "school_unknown"),
        ("moet.assessments", "moet/cds.csv!#7", "assessment_score_invalid"),
        ("payments.transactions", "payments/gd_dot1.csv!#5", "payment_dossier_unknown"),
        ("payments.transactions", "payments/gd_dot1.csv!#6", "payment_amount_invalid"),
        ("payments.transactions", "payments/gd_dot1.csv!#7", "payment_amount_invalid"),
        ("payments.transactions", "payments/gd_dot1.csv!#8", "payment_conflict"),
        ("payments.transactions", "payments/gd_dot2.xlsx!Sheet#5", "payment_conflict"),
        ("payments.collections", "payments/thu.csv!#8", "school_unknown"),
        ("payments.collections", "payments/thu.csv!#9", "collection_amount_invalid"),
        ("payments.collections", "payments/thu.csv!#10", "payment_method_unknown"),
        ("payments.collections", "payments/thu.csv!#11", "collection_date_invalid"),
        ("payments.collections", "payments/thu.csv!#12", "receipt_conflict"),
        ("payments.collections", "payments/thu.csv!#13", "receipt_conflict"),
    }
    assert {g for g in got if g[0] not in ("files",) and not g[0].startswith("portal")} == expected


def test_online_payment_rate_counts_the_flag_or_a_successful_transaction(department):
    settings = department[0]
    # P1 flag + T1, P2 T2 (pending, then successful), P3 flag only: paid; P4: failed T3, T7 quarantined
    assert query(
        settings,
        """select numerator, denominator from marts.kpi_scorecard
                              where kpi_code = 'online_payment_rate' and period_key = '2024-03'
                                and unit_code = 'ALL'""",
    ) == [(3, 4)]
    mismatches = query(
        settings,
        """select record_key from marts.data_warnings
                                    where warning_code = 'payment_flag_mismatch' order by 1""",
    )
    assert mismatches == [("P2",), ("P3",)]
    assert query(settings, "select transaction_code, status, amount from marts.fct_fee_payments order by 1") == [
        ("T1", "success", 100000),
        ("T2", "success", 50000),
        ("T3", "failed", 100000),
    ]


def test_school_kpis_by_hand(department):
    settings = department[0]
    # S1 September 2024: 1,000,000 cash, 500,000 transfer, -200,000 transfer refund, 300,000 QR
    assert query(
        settings,
        """select numerator, denominator from marts.kpi_scorecard
                              where kpi_code = 'school_cashless_rate' and period_key = '2024-09'
                                and unit_code in ('S1', 'ALL') order by unit_code""",
    ) == [(600_000, 1_600_000), (600_000, 1_600_000)]
    # 2023-2024: S1's latest assessment has teaching 40 (Mức 1); S2 50/75 and S3 67,5/90 reach Mức 2
    assert query(
        settings,
        """select unit_code, numerator, denominator, period_start, period_end
                              from marts.kpi_scorecard where kpi_code = 'school_digital_level2_share'
                              order by unit_code""",
    ) == [
        ("ALL", 2, 3, *query(settings, "select date '2023-09-01', date '2024-08-31'")[0]),
        ("S1", 0, 1, *query(settings, "select date '2023-09-01', date '2024-08-31'")[0]),
        ("S2", 1, 1, *query(settings, "select date '2023-09-01', date '2024-08-31'")[0]),
        ("S3", 1, 1, *query(settings, "select date '2023-09-01', date '2024-08-31'")[0]),
    ]
    assert query(
        settings, "select record_key from marts.data_warnings where warning_code = 'level_label_mismatch'"
    ) == [("moet/cds.csv!#4",)]


def test_school_history_attributes_each_collection_to_the_unit_of_its_day(department):
    settings = department[0]
    assert query(
        settings,
        """select version, valid_from, valid_to, managing_unit from marts.dim_schools
                              where school_code = 'S1' order by version""",
    ) == [
        (1, *query(settings, "select date '2023-09-05', date '2024-09-06'")[0], "Phòng GD&ĐT A"),
        (2, query(settings, "select date '2024-09-06'")[0][0], None, "Phòng GD&ĐT B"),
    ]
    assert query(
        settings,
        """select receipt_no, managing_unit from marts.fct_school_collections
                              where school_code = 'S1' order by receipt_no""",
    ) == [("BL1", "Phòng GD&ĐT A"), ("BL2", "Phòng GD&ĐT B"), ("BL3", "Phòng GD&ĐT B"), ("BL5", "Phòng GD&ĐT B")]


def test_over_collections_against_the_fee_schedule(department):
    settings = department[0]
    from connectors.personal import pseudonym

    # X paid Học phí 1,500,000 (THCS maximum 1,350,000); Y's water 300,000 (maximum 150,000)
    assert query(
        settings,
        """select student_key, item, total_amount, max_per_student, excess_amount
                              from marts.school_over_collections order by item""",
    ) == [
        (pseudonym(X, b"k"), "Học phí", 1_500_000, 1_350_000, 150_000),
        (pseudonym(Y, b"k"), "Tiền nước uống", 300_000, 150_000, 150_000),
    ]


def test_the_unit_rule_counts_a_schools_file_rows(department):
    settings = department[0]
    # S1: 2 school-list rows and 1 counted assessment (its first one is set aside), and 9
    # collection rows not set aside, of which BL7, BL8, BL9 and both BL10 are quarantined
    assert query(
        settings,
        """select records, quarantined, is_withheld from intermediate.int_unit_quality
                              where unit_code = 'S1'""",
    ) == [(12, 5, False)]  # 5/12 is under this test's 0.9


def test_no_student_code_reaches_the_warehouse(department):
    settings = department[0]
    import duckdb

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for schema, table in con.execute("select table_schema, table_name from information_schema.tables").fetchall():
            text = str(con.execute(f'select * from "{schema}"."{table}"').fetchall())
            assert X not in text and Y not in text, f"{schema}.{table}"
    finally:
        con.close()


def test_the_same_file_again_or_renamed_changes_nothing_and_a_changed_file_supersedes(department):
    settings, _, moet, payments = department
    before = query(settings, "select * from marts.kpi_scorecard order by all")
    writable(moet, payments)
    shutil.copy(payments / "thu.csv", payments / "thu_ban_sao.csv")  # the same file under a new name
    os.utime(payments / "thu.csv")  # touched, not changed
    read_only(moet, payments)
    moet_result, pay_result = intake_and_build(settings)
    assert moet_result.files_loaded == 0 and pay_result.files_loaded == 0
    assert pay_result.files_already_loaded == 4 and pay_result.files_rejected == 2  # the rejected are retried
    assert query(settings, "select * from marts.kpi_scorecard order by all") == before

    # A corrected assessment file: S1's re-assessment is withdrawn, so its first one counts.
    writable(moet)
    text = (moet / "cds.csv").read_text(encoding="utf-8").splitlines()
    (moet / "cds.csv").write_text(
        "\n".join(line for line in text if not line.startswith("2,S1")) + "\n", encoding="utf-8"
    )
    read_only(moet)
    moet_result, _ = intake_and_build(settings)
    assert moet_result.files_loaded == 1
    assert query(
        settings,
        """select numerator, denominator from marts.kpi_scorecard
                              where kpi_code = 'school_digital_level2_share' and unit_code = 'ALL'""",
    ) == [(3, 3)]
    superseded = query(
        settings,
        """select rows_read, rows_set_aside, is_balanced from marts.reconciliation
                                    where source_file = 'moet/cds.csv' order by batch_seq""",
    )
    assert superseded == [(6, 6, True), (5, 0, True)]  # every row of the old version set aside
