"""A small hand-written department: procedures P1-P4, dossiers A-H, a bad dossier for every
row rule, ratings R1-R6 (the figures expected from it are counted by hand in
tests/integration/test_kpi_figures.py), and the function that lands and builds it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.dbt_helpers import land, run_dbt

U1, U2 = "000.01.20.H12", "000.02.20.H12"


def proc(code, muc_do, dvctt, toan_trinh, phi, tttt, cong_khai, unit):
    return {
        "MaTTHC": code,
        "TenTTHC": f"Thủ tục {code}",
        "MaLinhVuc": "G08-GD01",
        "TenLinhVuc": "Giáo dục",
        "CapThucHien": "1",
        "MucDo": muc_do,
        "DuDieuKienDVCTT": dvctt,
        "DuDieuKienToanTrinh": toan_trinh,
        "CoPhiLePhi": phi,
        "CoThanhToanTrucTuyen": tttt,
        "CongKhaiTrenDVCQG": cong_khai,
        "ThoiHanGiaiQuyet": "5",
        "CoQuanThucHien": unit,
        "NgayCapNhat": "20240101000000",
    }


PROCEDURES = [
    proc("1.000001", "4", "1", "1", "1", "1", "1", U1),
    proc("1.000002", "3", "1", "0", "1", "0", "0", U1),
    proc("1.000003", "2", "1", "0", "0", "0", "0", U2),
    proc("1.000004", "2", "0", "0", "0", "0", "0", U2),
]


def dossier(code, **fields):
    base = {
        "MaHoSo": code,
        "MaTTHC": "1.000001",
        "TenTTHC": "Thủ tục",
        "MaLinhVuc": "G08-GD01",
        "TenLinhVuc": "Giáo dục",
        "DonViXuLy": U1,
        "KenhThucHien": "2",
        "TrangThaiHoSo": "4",
        "NgayNopHoSo": "20240301080000",
        "NgayTiepNhan": "20240301090000",
        "NgayHenTra": "",
        "NgayKetThucXuLy": "",
        "NgayTra": "",
        "NgayTuChoi": "",
        "NgayCapNhat": "20240401000000",
        "ChuHoSo": "Trần Thị Bình",
        "SoGiayToChuHoSo": "079123456789",
        "SoDienThoai": "0912345678",
        "Email": "",
        "DiaChi": "Cà Mau",
        "LoaiDoiTuong": "1",
        "LaNopHo": "0",
        "HoSoCoThanhPhanSoHoa": "1",
        "TaiKhoanDuocXacThucVoiVNeID": "0",
        "DuocThanhToanTrucTuyen": "0",
        "DongBoDVCQG": "0",
        "TaiLieuNop": [],
        "DanhSachLePhi": [],
        "DanhSachGiayToKetQua": [],
        "DanhSachHoSoBoSung": [],
    }
    base.update(fields)
    return base


def comp(reused="0", dmqg="0", replaces="", deleted="0"):
    return {
        "MaThanhPhanHoSo": "TP",
        "TenTepDinhKem": "x.pdf",
        "DuocSoHoa": "1",
        "DuocTaiSuDung": reused,
        "DuocLayTuKhoDMQG": dmqg,
        "MaKetQuaThayThe": replaces,
        "IsDeleted": deleted,
    }


def result(link):
    return {"MaGiayToKetQua": "KQ", "TenGiayTo": "Kết quả", "DuongDanTepTinKetQua": link}


def fee(gia):
    return {"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": gia, "HinhThucThu": "1"}


def supplement(asked, answered):
    return {"NgayYeuCauBoSung": asked, "NgayTiepNhanBoSung": answered}


A = dossier(
    "A",
    TrangThaiHoSo="10",
    NgayNopHoSo="20240331100000",
    NgayTiepNhan="20240331235959",
    NgayHenTra="20240405170000",
    NgayKetThucXuLy="20240405170000",
    NgayTra="20240405180000",
    NgayCapNhat="20240406080000",
    LaNopHo="",
    TaiKhoanDuocXacThucVoiVNeID="1",
    DongBoDVCQG="1",
    DuocThanhToanTrucTuyen="1",
    DanhSachLePhi=[fee("1.500.000 đ")],
    TaiLieuNop=[comp(reused="1", replaces="KQ1")],
    DanhSachGiayToKetQua=[result("https://f/a.pdf")],
)
B = dossier(
    "B",
    MaTTHC="1.000002",
    KenhThucHien="1",
    TrangThaiHoSo="9",
    NgayNopHoSo="20240331230000",
    NgayTiepNhan="20240401000000",
    NgayHenTra="20240410080000",
    NgayKetThucXuLy="20240412080000",
    NgayCapNhat="20240412090000",
    DanhSachHoSoBoSung=[supplement("20240402080000", "20240404080000")],
    DanhSachLePhi=[fee("")],
    TaiLieuNop=[comp(dmqg="1", replaces="KQ2", deleted="1")],
    DanhSachGiayToKetQua=[result("")],
)
C = dossier(
    "C",
    TrangThaiHoSo="10",
    NgayNopHoSo="20240315080000",
    NgayTiepNhan="20240315090000",
    NgayHenTra="20240320170000",
    NgayKetThucXuLy="20240325090000",
    NgayCapNhat="20240325100000",
    LaNopHo="1",
    DongBoDVCQG="1",
    DanhSachLePhi=[fee("50000")],
    DanhSachHoSoBoSung=[supplement("20240318170000", "")],
    TaiLieuNop=[comp(reused="1", replaces="KQ3"), comp(replaces="KQ4")],
    DanhSachGiayToKetQua=[result("https://f/c.pdf")],
)
D = dossier(
    "D",
    MaTTHC="1.000002",
    TrangThaiHoSo="10",
    NgayNopHoSo="20240310070000",
    NgayTiepNhan="20240310080000",
    NgayHenTra="20240312080000",
    NgayKetThucXuLy="20240312080001",
    NgayCapNhat="20240312090000",
    TaiKhoanDuocXacThucVoiVNeID="1",
    DongBoDVCQG="1",
    DuocThanhToanTrucTuyen="2",
    DanhSachLePhi=[fee("100,000")],
    TaiLieuNop=[comp(dmqg="")],
    DanhSachHoSoBoSung=[supplement("20240311080000", "20240310080000")],
    DanhSachGiayToKetQua=[result("https://f/d.pdf")],
)
E = dossier("E", TrangThaiHoSo="1", NgayTiepNhan="", NgayCapNhat="20240302000000")
F = dossier(
    "F", TrangThaiHoSo="3", NgayTiepNhan="20240320090000", NgayTuChoi="20240320100000", NgayCapNhat="20240320100000"
)
G1 = dossier(
    "G",
    MaTTHC="1.000003",
    DonViXuLy=U2,
    KenhThucHien="1",
    TrangThaiHoSo="4",
    NgayNopHoSo="20240228090000",
    NgayTiepNhan="20240228100000",
    NgayCapNhat="20240301000000",
)
G2 = {
    **G1,
    "TrangThaiHoSo": "10",
    "NgayKetThucXuLy": "20240304100000",
    "NgayTra": "20240304110000",
    "NgayCapNhat": "20240305000000",
    "DongBoDVCQG": "1",
}
H1 = dossier("H", DonViXuLy=U2, NgayCapNhat="20240301000000")
H2 = {**H1, "KenhThucHien": "5", "NgayCapNhat": "20240310000000"}
BAD = {
    "dossier_code_missing": dossier("", DonViXuLy=U2),
    "updated_at_invalid": dossier("Q2", DonViXuLy=U2, NgayCapNhat="2024-03-01"),
    "procedure_unknown": dossier("Q3", DonViXuLy=U2, MaTTHC="9.999999"),
    "status_invalid": dossier("Q4", DonViXuLy=U2, TrangThaiHoSo="11"),
    "date_invalid": dossier("Q5", DonViXuLy=U2, NgayNopHoSo="20240230101010"),
    "received_date_missing": dossier("Q6", DonViXuLy=U2, TrangThaiHoSo="4", NgayTiepNhan=""),
    "received_before_submitted": dossier(
        "Q7", DonViXuLy=U2, NgayNopHoSo="20240302080000", NgayTiepNhan="20240301080000"
    ),
    "ended_before_received": dossier("Q8", DonViXuLy=U2, TrangThaiHoSo="9", NgayKetThucXuLy="20240228080000"),
    "ended_date_missing": dossier("Q9", DonViXuLy=U2, TrangThaiHoSo="10", NgayKetThucXuLy=""),
}

# To the letter of DOMAIN.md 2.1: a date is exactly 14 digits and a code is exactly its value,
# so padded values break the rules too.
PADDED = {
    "Q10": ("date_invalid", dossier("Q10", DonViXuLy=U2, NgayNopHoSo=" 20240301080000")),
    "Q11": ("channel_invalid", dossier("Q11", DonViXuLy=U2, KenhThucHien=" 2")),
}


def rating(code, ho_so, when, level):
    return {"MaDanhGia": code, "MaHoSo": ho_so, "NgayDanhGia": when, "MucDoHaiLong": level}


RATINGS_1 = [
    rating("R1", "A", "20240406090000", "1"),
    rating("R2", "B", "20240430235959", "3"),
    rating("R3", "C", "20240326080000", "3"),
    rating("R4", "A", "20240407080000", "4"),
    rating("R5", "A", "", "1"),
    rating("R6", "ZZZ", "20240407080000", "1"),
]
RATINGS_2 = [rating("R3", "C", "20240326080000", "2")]  # re-read later with a new level: this copy counts


def build(settings) -> None:
    """Land the department as the ingest would (two dossier and two rating batches) and run dbt."""
    land(settings, "thu-tuc", PROCEDURES)
    land(settings, "ho-so", [A, B, C, D, E, F, G1, H1, *BAD.values(), *(d for _, d in PADDED.values())])
    land(settings, "ho-so", [G2, G1, H2])  # G1 again: an exact re-read, set aside
    land(settings, "danh-gia", RATINGS_1)
    land(settings, "danh-gia", RATINGS_2)
    done = run_dbt(settings)
    assert done.returncode == 0, done.stdout[-3000:]
    # the models' dbt unit tests ran in this build (the pipeline's own builds leave them out)
    results = json.loads((Path(settings.warehouse).parent / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r["status"] for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 14 and set(unit_tests) == {"pass"}, unit_tests
