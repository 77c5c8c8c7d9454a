"""Sample export files for the demo and the tests (DOMAIN.md 2.2 and 2.3), matching the
sample portal of ``sandbox.portal_data``:

- ``moet/``: two school lists (before and after some schools changed district and
  managing unit), the digital-transformation self-assessments of a school year;
- ``payments/``: online fee payments of the sample portal's fee-bearing dossiers in two
  overlapping exports (failures, retries, a pending payment completed in the next export,
  dossiers flagged paid with no transaction and the reverse), and school collections:
  about 2.5 million rows for the year in CSV from two collection partners plus a few
  schools in ``.xlsx``.

The files carry the mess of real exports: title rows, merged header cells, an ``STT``
column, footers, NFD text, Windows-1258 with ``;``, a UTF-8 BOM, amounts as ``1.500.000 đ``,
dates as text and as Excel serial numbers, and a few bad rows for every row rule.

Everything is computed from the seed, so the same arguments write byte-identical files.
This module shares no code with ``connectors/`` (an emulator built on the readers' own
parsing would agree with their bugs).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from sandbox.portal_data import PortalData, nfd

DISTRICTS = [
    "Thành phố Cà Mau",
    "Huyện U Minh",
    "Huyện Thới Bình",
    "Huyện Trần Văn Thời",
    "Huyện Cái Nước",
    "Huyện Đầm Dơi",
    "Huyện Năm Căn",
    "Huyện Phú Tân",
    "Huyện Ngọc Hiển",
]
LEVELS = [("Mầm non", 0.30), ("Tiểu học", 0.34), ("THCS", 0.22), ("THPT", 0.08), ("Liên cấp", 0.03), ("GDTX", 0.03)]
SCHOOL_PREFIX = {
    "Mầm non": "Trường Mầm non",
    "Tiểu học": "Trường Tiểu học",
    "THCS": "Trường THCS",
    "THPT": "Trường THPT",
    "Liên cấp": "Trường TH-THCS",
    "GDTX": "Trung tâm GDNN-GDTX",
}
NAMES = [
    "Hòa Bình",
    "Tân Thành",
    "Lý Văn Lâm",
    "Phan Ngọc Hiển",
    "Võ Thị Sáu",
    "Nguyễn Du",
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Hồ Thị Kỷ",
    "Khánh Lâm",
    "Sông Đốc",
    "Đất Mũi",
    "Rạch Gốc",
    "Tân Lộc",
    "Biển Bạch",
    "Hưng Mỹ",
    "Tắc Vân",
    "Định Bình",
    "Lương Thế Trân",
    "Quách Phẩm",
]
COMMUNES = [
    "Phường 1",
    "Phường 5",
    "Xã Tân Thành",
    "Xã Khánh An",
    "Thị trấn Sông Đốc",
    "Xã Tạ An Khương",
    "Thị trấn Năm Căn",
    "Xã Đất Mũi",
    "Xã Cái Đôi Vàm",
    "Xã Hưng Mỹ",
]
DEPARTMENT = "Sở Giáo dục và Đào tạo"

# Collection items and the approved maximum per student and school year (dbt seed
# fee_schedule.csv holds the same schedule for the warehouse).
ITEMS = {
    "Học phí": {
        "Mầm non": 1_350_000,
        "Tiểu học": 0,
        "THCS": 1_350_000,
        "THPT": 1_800_000,
        "Liên cấp": 1_350_000,
        "GDTX": 1_800_000,
    },
    "Bảo hiểm y tế học sinh": 884_520,
    "Tiền nước uống": 150_000,
    "Tiền ăn bán trú": 650_000,  # per month, not in the schedule
}
# How payment methods are written in the exports (an alias table in dbt maps them).
METHODS = [
    ("Tiền mặt", 0.33),
    ("Chuyển khoản", 0.30),
    ("CK", 0.05),
    ("tiền mặt", 0.02),
    ("Ví điện tử", 0.08),
    ("Thẻ", 0.04),
    ("QR", 0.08),
    ("Quét mã QR", 0.05),
    ("TM", 0.02),
    ("Thẻ ATM", 0.03),
]
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


@dataclass(frozen=True)
class School:
    code: str
    name: str
    level: str
    kind: str
    district: int
    commune: str
    students: int
    teachers: int


def cp1258_text(text: str) -> str:
    """Text as Windows-1258 writes Vietnamese: base letters with circumflex, breve and horn
    precomposed, tone marks as separate combining characters."""
    out, base, tones = [], "", ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if ch in TONE_MARKS:
                tones += ch
            else:
                base += ch
        else:
            out.append(unicodedata.normalize("NFC", base) + tones)
            base, tones = ch, ""
    out.append(unicodedata.normalize("NFC", base) + tones)
    return "".join(out)


def save_workbook(wb, path: Path) -> None:
    """Save an openpyxl workbook byte for byte the same on every run: openpyxl stamps the
    save time into docProps/core.xml and the zip entries, which would give the same export
    a new content hash each time."""
    import re
    import zipfile

    buf = io.BytesIO()
    wb.save(buf)
    fixed = (2024, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>2024-01-01T00:00:00Z\2", data)
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=fixed), data, compress_type=zipfile.ZIP_DEFLATED)


# The same, as a translation table of the precomposed letters (fast on large text).
CP1258_TABLE = {
    cp: cp1258_text(chr(cp))
    for cp in range(0xC0, 0x1EFA)
    if unicodedata.combining(chr(cp)) == 0 and cp1258_text(chr(cp)) != chr(cp)
}


def to_cp1258(text: str) -> bytes:
    return unicodedata.normalize("NFC", text).translate(CP1258_TABLE).encode("cp1258")


class ExportWriter:
    def __init__(
        self,
        out_dir: Path,
        year: int = 2024,
        n_dossiers: int = 50_000,
        seed: int = 4725,
        collection_rows: int = 2_500_000,
    ):
        self.out = Path(out_dir)
        self.year = year
        self.portal = PortalData(year=year, n_dossiers=n_dossiers)
        self.rng = random.Random(seed)
        self.seed = seed
        self.collection_rows = collection_rows
        self.schools = self._schools()

    # ------------------------------------------------------------------ schools
    def _schools(self) -> list[School]:
        rng = random.Random(self.seed)
        out = []
        for i in range(500):
            r, acc, level = rng.random(), 0.0, "Mầm non"
            for name, share in LEVELS:
                acc += share
                if r < acc:
                    level = name
                    break
            district = i % len(DISTRICTS)
            kind = "Công lập" if rng.random() < 0.9 else rng.choice(["Tư thục", "Dân lập"])
            students = int(rng.uniform(150, 850)) if level != "GDTX" else int(rng.uniform(80, 300))
            out.append(
                School(
                    code=f"96{district + 1:02d}{i + 1:04d}",
                    name=f"{SCHOOL_PREFIX[level]} {NAMES[i % len(NAMES)]}"
                    + (f" {i // len(NAMES) + 1}" if i >= len(NAMES) else ""),
                    level=level,
                    kind=kind,
                    district=district,
                    commune=rng.choice(COMMUNES),
                    students=students,
                    teachers=max(8, students // 18),
                )
            )
        return out

    def manager(self, s: School, after_change: bool) -> tuple[str, str]:
        """(managing unit, district) of a school, before or after the 2024 change: the
        schools of Ngọc Hiển moved to Năm Căn's office; THPT and GDTX are the department's."""
        district = s.district
        if after_change and district == 8:
            district = 6
        if s.level in ("THPT", "GDTX"):
            return DEPARTMENT, DISTRICTS[district]
        office = DISTRICTS[district].replace("Huyện ", "").replace("Thành phố ", "TP ")
        return f"Phòng Giáo dục và Đào tạo {office}", DISTRICTS[district]

    def write_school_lists(self) -> list[Path]:
        import openpyxl
        from openpyxl.styles import Font

        paths = []
        for name, as_of, after in (
            ("danh_sach_truong_2023-2024.xlsx", date(self.year - 1, 9, 5), False),
            ("danh_sach_truong_2024-2025.xlsx", date(self.year, 9, 6), True),
        ):
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Danh sách trường"
            ws["A1"] = "BỘ GIÁO DỤC VÀ ĐÀO TẠO"
            ws["A2"] = "CƠ SỞ DỮ LIỆU NGÀNH GIÁO DỤC"
            ws["A3"] = "DANH SÁCH TRƯỜNG HỌC"
            ws["A3"].font = Font(bold=True)
            ws.merge_cells("A3:K3")
            ws["A4"] = f"Tính đến ngày {as_of:%d/%m/%Y}"
            # Two-row header: "Địa bàn" merged over district and commune; others merged down.
            top = [
                "STT",
                "Mã trường",
                "Tên trường",
                "Cấp học",
                "Loại hình",
                "Đơn vị quản lý",
                "Địa bàn",
                None,
                "Số học sinh",
                "Số giáo viên",
                "Trạng thái",
            ]
            sub = [None, None, None, None, None, None, "Huyện/Thành phố", "Xã/Phường", None, None, None]
            if after:  # a later template moves columns around and writes its headers in NFD
                order = [0, 2, 1, 3, 4, 6, 7, 5, 8, 9, 10]
                top, sub = [top[i] for i in order], [sub[i] for i in order]
                top = [nfd(t) if t else t for t in top]
                sub = [nfd(t) if t else t for t in sub]
            else:
                order = list(range(11))
            for j, (t, b) in enumerate(zip(top, sub), start=1):
                ws.cell(row=6, column=j, value=t)
                ws.cell(row=7, column=j, value=b)
            group = top.index("Địa bàn" if not after else nfd("Địa bàn")) + 1
            ws.merge_cells(start_row=6, start_column=group, end_row=6, end_column=group + 1)
            for j in range(1, 12):
                if j not in (group, group + 1):
                    ws.merge_cells(start_row=6, start_column=j, end_row=7, end_column=j)
            schools = self.schools if after else self.schools[:495]  # five opened in the second year
            r = 8
            for n, s in enumerate(schools, start=1):
                unit, district = self.manager(s, after)
                status = "Đang hoạt động"
                if after and n in (17, 230):
                    status = "Đã giải thể"
                values = [n, s.code, s.name, s.level, s.kind, unit, district, s.commune, s.students, s.teachers, status]
                for j, v in enumerate([values[i] for i in order], start=1):
                    ws.cell(row=r, column=j, value=v)
                r += 1
            ws.cell(row=r, column=1, value="Tổng cộng")
            ws.cell(row=r, column=9, value=sum(s.students for s in schools))
            ws.cell(row=r + 2, column=8, value="Người lập biểu")
            ws.cell(row=r + 3, column=8, value="(Ký, ghi rõ họ tên)")
            path = self.out / "moet" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            save_workbook(wb, path)
            paths.append(path)
        return paths

    # ------------------------------------------------------------------ assessments
    def write_assessments(self) -> list[Path]:
        import openpyxl

        rng = random.Random(self.seed + 1)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Tự đánh giá CĐS"
        ws["A1"] = "BỘ GIÁO DỤC VÀ ĐÀO TẠO"
        ws["A2"] = f"KẾT QUẢ TỰ ĐÁNH GIÁ MỨC ĐỘ CHUYỂN ĐỔI SỐ NĂM HỌC {self.year - 1}-{self.year} (QĐ 4725/QĐ-BGDĐT)"
        ws.merge_cells("A2:H2")
        header = [
            "STT",
            "Mã trường",
            "Năm học",
            "Điểm CĐS dạy học",
            "Mức dạy học",
            "Điểm CĐS quản trị",
            "Mức quản trị",
            "Ngày đánh giá",
        ]
        for j, h in enumerate(header, start=1):
            ws.cell(row=4, column=j, value=h)
        school_year = f"{self.year - 1}-{self.year}"
        r = 5
        rows = []
        for s in self.schools[:495]:
            if rng.random() < 0.04:
                continue  # not assessed
            teach = round(rng.uniform(30, 95) * 2) / 2
            manage = round(rng.uniform(35, 97) * 2) / 2
            day = date(self.year, 4, 1) + timedelta(days=rng.randrange(60))
            rows.append([s.code, school_year, teach, manage, day])
            if rng.random() < 0.05:  # a re-assessment later in the year supersedes the first
                rows.append(
                    [s.code, school_year, min(100.0, teach + 12), min(100.0, manage + 6), day + timedelta(days=20)]
                )
        rows.append(["96999999", school_year, 70.0, 70.0, date(self.year, 5, 2)])  # unknown school
        rows[10][2] = 120.0  # score out of range
        rows[20][3] = None  # score missing

        def level(score):
            if score is None or not isinstance(score, float):
                return ""
            return "Mức 1" if score < 50 else ("Mức 2" if score <= 75 else "Mức 3")

        for n, (code, sy, teach, manage, day) in enumerate(rows, start=1):
            label_teach = level(teach)
            if n % 97 == 0:
                label_teach = "Mức 3" if label_teach != "Mức 3" else "Mức 2"  # disagrees with the score
            teach_cell = f"{teach:.1f}".replace(".", ",") if n % 7 == 0 and teach is not None else teach
            day_cell = (day - date(1899, 12, 30)).days if n % 5 == 0 else day  # an Excel serial number
            values = [n, code, sy, teach_cell, label_teach, manage, level(manage), day_cell]
            for j, v in enumerate(values, start=1):
                c = ws.cell(row=r, column=j, value=v)
                if j == 8 and isinstance(v, date):
                    c.number_format = "dd/mm/yyyy"
            r += 1
        ws.cell(row=r + 1, column=6, value=f"Ngày 10 tháng 6 năm {self.year}")
        ws.cell(row=r + 2, column=6, value="Thủ trưởng đơn vị")
        path = self.out / "moet" / f"tu_danh_gia_cds_{school_year}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_workbook(wb, path)
        return [path]

    # ------------------------------------------------------------------ fee payments
    def fee_dossiers(self) -> list[dict]:
        """The sample portal's fee-bearing dossiers (latest versions, well formed)."""
        p, out = self.portal, []
        for k in range(p.n_events):
            kind, d = p.kind_of(k)
            if kind != "final" or p.defect_of(d):
                continue
            rec = p.dossier_event(k)
            fees = rec["DanhSachLePhi"]
            if not fees or not fees[0]["Gia"] or not rec["NgayTiepNhan"]:
                continue
            amount = int("".join(ch for ch in fees[0]["Gia"] if ch.isdigit()))
            out.append(
                {
                    "code": rec["MaHoSo"],
                    "proc": rec["MaTTHC"],
                    "amount": amount,
                    "flag": rec["DuocThanhToanTrucTuyen"],
                    "channel": rec["KenhThucHien"],
                    "received": datetime.strptime(rec["NgayTiepNhan"], "%Y%m%d%H%M%S"),
                }
            )
        return out

    def write_payments(self) -> list[Path]:
        rng = random.Random(self.seed + 2)
        banks = ["Vietcombank", "VietinBank", "BIDV", "Agribank", "MB", "Techcombank"]
        channels = ["Cổng DVCQG (PayGov)", "Cổng thanh toán tỉnh", "VNPT Pay"]
        txns = []
        seq = 0

        def txn(dossier, status, when, amount=None):
            nonlocal seq
            seq += 1
            return {
                "Mã giao dịch": f"GD{self.year}{seq:08d}",
                "Mã hồ sơ": dossier["code"],
                "Mã TTHC": dossier["proc"],
                "amount": dossier["amount"] if amount is None else amount,
                "Trạng thái": status,
                "Kênh thanh toán": rng.choice(channels),
                "Ngân hàng": rng.choice(banks),
                "when": when,
            }

        for dossier in self.fee_dossiers():
            paid_flag = dossier["flag"] in ("1", "2")
            when = dossier["received"] + timedelta(minutes=rng.randrange(5, 600))
            if (
                paid_flag
                and rng.random() < 0.9
                or (not paid_flag and dossier["channel"] == "2" and rng.random() < 0.15)
            ):
                if rng.random() < 0.1:  # a failed attempt, then a retry that succeeds
                    txns.append(txn(dossier, "Thất bại", when))
                    when += timedelta(minutes=rng.randrange(2, 90))
                txns.append(txn(dossier, "Thành công", when))
            elif rng.random() < 0.05:
                txns.append(txn(dossier, "Thất bại", when))
        txns.sort(key=lambda t: t["when"])
        # Bad rows: an amount that does not parse, a zero amount, an unknown dossier, a conflict.
        bad = [
            dict(txns[3], **{"Mã giao dịch": f"GD{self.year}X0000001", "amount": "12,5"}),
            dict(txns[4], **{"Mã giao dịch": f"GD{self.year}X0000002", "amount": 0}),
            dict(txns[5], **{"Mã giao dịch": f"GD{self.year}X0000003", "Mã hồ sơ": "000.00.20.H12-240101-9999999"}),
        ]
        conflict = dict(txns[6], amount=txns[6]["amount"] + 1000)
        cut = datetime(self.year, 7, 1)
        overlap = datetime(self.year, 6, 1)
        first = [t for t in txns if t["when"] < cut] + bad
        second = [t for t in txns if t["when"] >= overlap] + [conflict]
        # A payment still pending when the first export was made, completed in the second.
        pending = next(t for t in first if t["when"] >= datetime(self.year, 6, 25) and t["Trạng thái"] == "Thành công")
        first = [dict(t, **{"Trạng thái": "Đang xử lý"}) if t is pending else t for t in first]
        if pending not in second:
            second.append(pending)

        def fmt_amount(a, i):
            if isinstance(a, str):
                return a
            forms = [f"{a}", f"{a:,}".replace(",", "."), f"{a:,}", f"{a:,} đ".replace(",", "."), f"{a:,} VNĐ"]
            return forms[i % len(forms)]

        out = []
        path = self.out / "payments" / f"giao_dich_thanh_toan_{self.year}_dot1.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["BÁO CÁO GIAO DỊCH THANH TOÁN TRỰC TUYẾN PHÍ, LỆ PHÍ TTHC"])
        w.writerow([f"Từ ngày 01/12/{self.year - 1} đến ngày 30/06/{self.year}"])
        w.writerow(
            [
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
        )
        for i, t in enumerate(first, start=1):
            w.writerow(
                [
                    i,
                    t["Mã giao dịch"],
                    t["Mã hồ sơ"],
                    t["Mã TTHC"],
                    fmt_amount(t["amount"], i),
                    t["Trạng thái"],
                    t["Kênh thanh toán"],
                    t["Ngân hàng"],
                    f"{t['when']:%d/%m/%Y %H:%M:%S}",
                ]
            )
        w.writerow(["Tổng cộng", "", "", "", "", "", "", "", ""])
        path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
        out.append(path)

        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Giao dịch"
        ws["A1"] = "CỔNG THANH TOÁN TỈNH - DANH SÁCH GIAO DỊCH"
        ws.merge_cells("A1:I1")
        header = [
            "STT",
            "Thời gian giao dịch",
            "Mã giao dịch",
            "Mã hồ sơ",
            "Mã TTHC",
            "Số tiền (VNĐ)",
            "Trạng thái",
            "Ngân hàng",
            "Kênh thanh toán",
        ]
        for j, h in enumerate(header, start=1):
            ws.cell(row=3, column=j, value=h)
        for i, t in enumerate(second, start=1):
            values = [
                i,
                t["when"],
                t["Mã giao dịch"],
                t["Mã hồ sơ"],
                t["Mã TTHC"],
                t["amount"],
                t["Trạng thái"],
                t["Ngân hàng"],
                t["Kênh thanh toán"],
            ]
            for j, v in enumerate(values, start=1):
                c = ws.cell(row=3 + i, column=j, value=v)
                if j == 2:
                    c.number_format = "dd/mm/yyyy hh:mm:ss"
        path = self.out / "payments" / f"giao_dich_cong_thanh_toan_{self.year}_dot2.xlsx"
        save_workbook(wb, path)
        out.append(path)
        return out

    # ------------------------------------------------------------------ school collections
    def _collection_sql(self, schools: list[School], rows: int) -> tuple[str, dict]:
        """One SQL query generating ``rows`` collection rows for the given schools: each
        student has one row a month (Học phí, or Tiền ăn bán trú at primary schools, in the
        nine school months; BHYT in June; drinking water in July; semi-boarding meals in
        August), and every choice is a hash of the row number, so each run writes the same."""
        tables = {"schools": [(s.code, s.level, s.students, i) for i, s in enumerate(schools)]}
        n = len(schools)
        return (
            f"""
            with s as (select * from schools_t),
            r as (
                select range as i, range // 12 as student_seq, range % 12 + 1 as month
                from range({rows})
            ),
            picked as (
                select r.i, r.month, s.code, s.level, s.idx, r.student_seq // {n} as student_idx,
                       (hash(r.i, {self.seed + 3}) % 1000000) / 1000000.0 as u4,
                       hash(r.i, {self.seed + 4}) % 28 as day_offset
                from r join s on s.idx = r.student_seq % {n}
            )
            select i, code as ma_truong,
                   '0' || cast(96000000000 + idx * 100000 + student_idx as varchar) as ma_hoc_sinh,
                   day,
                   case when month >= 9 then '{self.year}-{self.year + 1}' else '{self.year - 1}-{self.year}' end as nam_hoc,
                   item as khoan_thu,
                   case item
                       when 'Học phí' then case when level in ('THPT', 'GDTX') then 200000 else 150000 end
                       when 'Bảo hiểm y tế học sinh' then 884520
                       when 'Tiền nước uống' then 150000
                       else 650000 end as amount,
                   u4
            from (
                select *,
                       make_date({self.year}, month, 1 + cast(day_offset as integer)) as day,
                       case when month = 6 then 'Bảo hiểm y tế học sinh'
                            when month = 7 then 'Tiền nước uống'
                            when month = 8 or level = 'Tiểu học' then 'Tiền ăn bán trú'
                            else 'Học phí' end as item
                from picked
            ) as x
        """,
            tables,
        )

    def write_collections(self) -> list[Path]:
        """Collections in CSV from two partners (one UTF-8 with BOM and ',', one Windows-1258
        with ';', NFD text and a footer), and three schools' own ``.xlsx`` exports."""
        xlsx_schools = self.schools[:3]
        csv_schools = self.schools[3:]
        # an in-memory database spills past its memory limit into ``.tmp`` of the working
        # directory (at 20 M rows, a gigabyte in the clone): a temporary folder of its own
        # instead, removed when done (or, if this fails, when the object is collected)
        spill = tempfile.TemporaryDirectory(prefix="cchc-sample-exports-")
        con = duckdb.connect(config={"threads": 2, "memory_limit": "2GB", "temp_directory": spill.name})
        con.execute("set enable_progress_bar = false")
        sql, tables = self._collection_sql(csv_schools, self.collection_rows)
        con.execute("create table schools_t (code varchar, level varchar, students integer, idx integer)")
        con.executemany("insert into schools_t values (?, ?, ?, ?)", tables["schools"])
        cum, acc = [], 0.0
        for name, share in METHODS:
            acc += share
            cum.append((name, acc))
        method_case = (
            "case " + " ".join(f"when u4 < {c:.4f} then '{m}'" for m, c in cum[:-1]) + f" else '{cum[-1][0]}' end"
        )
        con.execute(f"""create table coll as
            select i, ma_truong, ma_hoc_sinh, nam_hoc, khoan_thu, amount, {method_case} as method, day,
                   'BL' || ma_truong || '-' || lpad(cast(i as varchar), 8, '0') as receipt
            from ({sql}) order by i""")
        con.execute("select count(*) from coll").fetchone()[0]
        # Refunds, over-collections, duplicates and bad rows (a few of each).
        con.execute("update coll set amount = -amount where i % 997 = 5")
        # Over-collection: a few schools charge a whole year of Học phí above the schedule in September.
        con.execute("""update coll set amount = 2400000
                       where khoan_thu = 'Học phí' and month(day) = 9
                         and ma_truong in (select code from schools_t where idx % 61 = 7)""")
        con.execute("update coll set method = 'Khác' where i % 50021 = 3")
        # the same receipt twice with different content (both copies are quarantined)
        con.execute("""insert into coll select i, ma_truong, ma_hoc_sinh, nam_hoc, khoan_thu, amount + 10000, method,
                              day, receipt from coll where i % 100003 = 21""")
        con.execute("update coll set ma_truong = '96990001' where i % 70001 = 11")
        con.execute("update coll set amount = null where i % 90001 = 17")
        paths = []
        outputs = [
            (f"thu_hoc_phi_doi_tac_A_{self.year}.csv", "i % 10 < 8", "utf-8-sig", ",", False),
            (f"thu_hoc_phi_doi_tac_B_{self.year}.csv", "i % 10 >= 8", "cp1258", ";", True),
        ]
        for name, where, encoding, delim, messy in outputs:
            path = self.out / "payments" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            body = self.out / "payments" / f".{name}.body"
            amount = (
                "case when amount is null then '12,5' when i % 3 = 0 then "
                "replace(format('{:,}', amount), ',', '.') || ' đ' when i % 3 = 1 then format('{:,}', amount) "
                "else cast(amount as varchar) end"
            )
            con.execute(f"""copy (
                select row_number() over (order by i, amount nulls first) as stt, ma_truong, ma_hoc_sinh, nam_hoc, khoan_thu,
                       {amount} as so_tien, method, strftime(day, '%d/%m/%Y') as ngay_thu, receipt
                from (select * from coll where {where}
                      union all select * from coll where {where} and i % 4001 = 9)  -- exact duplicates
                order by i, amount nulls first) to '{body}' (header false, delimiter '{delim}', quote '"')""")
            header = [
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
            title = [f"DANH SÁCH KHOẢN THU QUA ĐỐI TÁC THU HỘ NĂM {self.year}", f"Ngày xuất: 05/01/{self.year + 1}", ""]
            footer = [["Tổng cộng"] + [""] * 8, ["", "", "", "", "", "", "", "Người lập biểu", ""]]
            with open(path, "wb") as out:

                def write_line(cells, delim=delim, encoding=encoding):
                    buf = io.StringIO()
                    csv.writer(buf, delimiter=delim, lineterminator="\n").writerow(cells)
                    text = buf.getvalue()
                    if encoding == "cp1258":
                        out.write(to_cp1258(text))
                    else:
                        out.write(text.encode("utf-8"))

                if encoding == "utf-8-sig":
                    out.write(b"\xef\xbb\xbf")
                if messy:
                    for t in title:
                        write_line([t] + [""] * 8)
                write_line([nfd(h) if messy else h for h in header])
                with open(body, "rb") as src:
                    if encoding == "cp1258":
                        with io.TextIOWrapper(src, encoding="utf-8", newline="") as text_src:
                            while chunk := text_src.read(1 << 20):
                                out.write(to_cp1258(chunk))
                    else:
                        shutil.copyfileobj(src, out, 1 << 22)
                if messy:
                    for f in footer:
                        write_line(f)
            body.unlink()
            paths.append(path)
        con.close()
        spill.cleanup()
        paths += self._collections_xlsx(xlsx_schools)
        return paths

    def _collections_xlsx(self, schools: list[School]) -> list[Path]:
        import openpyxl

        rng = random.Random(self.seed + 3)
        paths = []
        for s in schools:
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Khoản thu"
            ws["A1"] = f"{s.name.upper()}"
            ws["A2"] = f"SỔ THEO DÕI CÁC KHOẢN THU NĂM {self.year}"
            ws.merge_cells("A2:I2")
            header = [
                "STT",
                "Số biên lai",
                "Mã học sinh",
                "Mã trường",
                "Năm học",
                "Khoản thu",
                "Số tiền",
                "Hình thức thanh toán",
                "Ngày thu",
            ]
            for j, h in enumerate(header, start=1):
                ws.cell(row=4, column=j, value=h)
            r = 5
            for k in range(min(s.students, 300)):
                student = f"0{96_100_000_000 + int(s.code) * 1000 + k}"
                for month in (1, 2, 3, 9, 10):
                    day = date(self.year, month, 5 + rng.randrange(20))
                    sy = f"{self.year}-{self.year + 1}" if month >= 9 else f"{self.year - 1}-{self.year}"
                    method = rng.choice(["Tiền mặt", "Chuyển khoản", "QR"])
                    values = [
                        r - 4,
                        f"BL{s.code}-X{r:06d}",
                        student,
                        s.code,
                        sy,
                        "Tiền ăn bán trú",
                        650000,
                        method,
                        day if month != 10 else f"{day:%d/%m/%Y}",
                    ]
                    for j, v in enumerate(values, start=1):
                        c = ws.cell(row=r, column=j, value=v)
                        if isinstance(v, date):
                            c.number_format = "dd/mm/yyyy"
                        if j == 7:
                            c.number_format = "#,##0"
                    r += 1
            ws.cell(row=r, column=1, value="Cộng")
            ws.cell(row=r + 2, column=8, value="Hiệu trưởng")
            path = self.out / "payments" / f"khoan_thu_{s.code}_{self.year}.xlsx"
            save_workbook(wb, path)
            paths.append(path)
        return paths

    def write_all(self) -> list[Path]:
        return [
            *self.write_school_lists(),
            *self.write_assessments(),
            *self.write_payments(),
            *self.write_collections(),
        ]


def write_sample_exports(
    out_dir: Path, year: int = 2024, n_dossiers: int = 50_000, collection_rows: int = 2_500_000
) -> tuple[Path, Path]:
    """Write the sample exports under ``out_dir`` (``moet/`` and ``payments/``), unless the
    same sample is already there; returns the two folders."""
    out_dir = Path(out_dir)
    stamp = out_dir / ".sample"
    wanted = f"year={year} dossiers={n_dossiers} collections={collection_rows} v3"
    if not (stamp.exists() and stamp.read_text() == wanted):
        for sub in ("moet", "payments"):
            shutil.rmtree(out_dir / sub, ignore_errors=True)
        ExportWriter(out_dir, year, n_dossiers, collection_rows=collection_rows).write_all()
        stamp.write_text(wanted)
    return out_dir / "moet", out_dir / "payments"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the sample ministry and payment exports")
    ap.add_argument("out_dir")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--dossiers", type=int, default=50_000)
    ap.add_argument("--collections", type=int, default=2_500_000)
    args = ap.parse_args(argv)
    moet, payments = write_sample_exports(Path(args.out_dir), args.year, args.dossiers, args.collections)
    print(f"sample exports written: {moet} and {payments}")


if __name__ == "__main__":
    main()
