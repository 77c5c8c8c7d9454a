"""Deterministic sample data for the portal emulator (DOMAIN.md 2.1).

Nothing is held in memory: every record is a pure function of ``(seed, index)``, so a
1,000,000-dossier year costs nothing until a page of it is served.

The dossier stream is a list of *events* ordered by ``NgayCapNhat``. Event ``k`` happens at
``time_of(k)``, strictly increasing in ``k`` (so the server's order ``NgayCapNhat, MaHoSo``
is the index order and a window maps to an index range by bisection). In each block of 11
events, position 7 is an *intermediate* version (status 4, still processing) of the
dossier whose final version is event ``k + PAIR_GAP``; an intermediate whose final would
fall past the end of the year is that dossier's only version.

This module shares no code with ``connectors/``: the emulator must not agree with the
client's bugs.
"""

from __future__ import annotations

import random
import struct
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

BLOCK = 11
INTERMEDIATE_POS = 7
PAIR_GAP = 11 * 60 + 7  # (7 + 667) % 11 == 3: finals paired with an intermediate sit at 3

UNITS = [
    ("000.00.20.H12", "Văn phòng Sở Giáo dục và Đào tạo"),
    ("000.01.20.H12", "Phòng Giáo dục Trung học - Giáo dục thường xuyên"),
    ("000.02.20.H12", "Phòng Giáo dục Mầm non - Tiểu học"),
    ("000.03.20.H12", "Phòng Khảo thí và Quản lý chất lượng giáo dục"),
]

FIELDS = [
    ("G08-GD01", "Giáo dục và Đào tạo thuộc hệ thống giáo dục quốc dân"),
    ("G08-GD02", "Hệ thống văn bằng, chứng chỉ"),
    ("G08-GD03", "Thi, tuyển sinh"),
    ("G08-GD04", "Giáo dục nghề nghiệp"),
]

PROCEDURE_NAMES = [
    ("Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", 1, 3, 0),
    ("Chỉnh sửa nội dung văn bằng, chứng chỉ", 1, 5, 0),
    ("Công nhận văn bằng tốt nghiệp các cấp học phổ thông do cơ sở nước ngoài cấp", 1, 20, 0),
    ("Phúc khảo bài thi tốt nghiệp trung học phổ thông", 2, 15, 1),
    ("Đăng ký dự thi tốt nghiệp trung học phổ thông", 2, 0, 0),
    ("Xét tuyển sinh vào trường phổ thông dân tộc nội trú", 2, 10, 0),
    ("Chuyển trường đối với học sinh trung học phổ thông", 0, 3, 0),
    ("Xin học lại tại trường khác đối với học sinh trung học", 0, 3, 0),
    ("Cho phép trung tâm ngoại ngữ, tin học hoạt động giáo dục", 3, 20, 1),
    ("Thành lập trung tâm ngoại ngữ, tin học", 3, 20, 1),
    ("Cấp phép hoạt động giáo dục kỹ năng sống", 3, 15, 1),
    ("Cấp giấy chứng nhận đăng ký hoạt động liên kết đào tạo với nước ngoài", 3, 30, 1),
    ("Công nhận trường trung học đạt chuẩn quốc gia", 0, 25, 0),
    ("Công nhận trường mầm non đạt chuẩn quốc gia", 0, 25, 0),
    ("Cho phép thành lập trường trung học phổ thông tư thục", 0, 20, 1),
    ("Sáp nhập, chia, tách trường trung học phổ thông", 0, 20, 0),
    ("Giải thể trung tâm ngoại ngữ, tin học", 3, 15, 0),
    ("Đăng ký hoạt động giáo dục nghề nghiệp", 3, 15, 1),
    ("Cấp giấy phép dạy thêm, học thêm", 0, 7, 1),
    ("Tiếp nhận học sinh Việt Nam về nước", 0, 5, 0),
    ("Tiếp nhận học sinh người nước ngoài", 0, 5, 0),
    ("Cấp giấy chứng nhận hoàn thành chương trình giáo dục", 1, 3, 0),
    ("Đề nghị miễn, giảm học phí", 0, 10, 0),
    ("Hỗ trợ chi phí học tập cho học sinh", 0, 10, 0),
    ("Xét, cấp học bổng chính sách", 0, 15, 0),
    ("Cấp phép tổ chức hội thảo, hội nghị quốc tế về giáo dục", 0, 15, 0),
    ("Công nhận bằng tốt nghiệp trung học cơ sở", 1, 0, 0),
    ("Thẩm định sách giáo khoa địa phương", 0, 30, 0),
    ("Đăng ký kiểm định chất lượng giáo dục", 0, 20, 1),
    ("Cho phép trường trung học phổ thông hoạt động giáo dục", 0, 20, 0),
]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Hoàng", "Thanh", "Hữu", "Thu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hạnh",
    "Khánh",
    "Linh",
    "Lộc",
    "Mai",
    "Nam",
    "Nhung",
    "Phúc",
    "Quyên",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trí",
    "Tuấn",
    "Vy",
    "Yến",
]
PLACES = [
    "Phường 5, TP Cà Mau",
    "Thị trấn Năm Căn",
    "Xã Tân Thành",
    "Phường Tân Xuyên",
    "Xã Khánh Bình Tây, huyện Trần Văn Thời",
    "Thị trấn Cái Nước",
    "Xã Đất Mũi, Ngọc Hiển",
]
COMPONENTS = [
    ("TP01", "Đơn đề nghị.pdf"),
    ("TP02", "Bản sao giấy khai sinh.pdf"),
    ("TP03", "Bản sao căn cước công dân.pdf"),
    ("TP04", "Học bạ trung học phổ thông.pdf"),
    ("TP05", "Quyết định thành lập.pdf"),
    ("TP06", "Danh sách giáo viên.xlsx"),
]
AMOUNT_FORMS = ["{n}", "{dot}", "{comma}", "{dot} đ", "{n} VND", ""]

# Defects a real system lets through now and then; DOMAIN.md 3a lists the rules they break.
DOSSIER_DEFECTS = [
    "empty_code",
    "bad_updated_at",
    "unknown_procedure",
    "bad_channel",
    "bad_status",
    "bad_date",
    "received_missing",
    "received_before_submitted",
    "ended_before_received",
    "ended_missing",
]
DRAWS = 128  # draws per record; every salt used is below this
RATING_DEFECTS = ["bad_level", "missing_date", "unknown_dossier"]


def _mix(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


@lru_cache(maxsize=256)
def _draws(seed: int, k: int) -> tuple[float, ...]:
    raw = random.Random(_mix(seed * 1_000_003 + k)).randbytes(8 * DRAWS)
    return tuple(v / 2.0**64 for v in struct.unpack(f"<{DRAWS}Q", raw))


def fmt(ts: datetime | None) -> str:
    return "" if ts is None else ts.strftime("%Y%m%d%H%M%S")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field_code: str
    field_name: str
    level: str  # MucDo 2/3/4
    eligible_online: str
    eligible_full: str
    has_fee: str
    online_payment: str
    on_national_portal: str
    days: int
    unit: str
    weight: float


@dataclass(frozen=True)
class PortalData:
    """One department-year of generated portal data."""

    year: int = 2024
    n_dossiers: int = 50_000
    n_procedures: int = 60
    seed: int = 766
    defect_share: float = 0.004

    # ---------------------------------------------------------------- randomness
    def u(self, k: int, salt: int) -> float:
        """A uniform draw in [0, 1) that depends only on (seed, k, salt)."""
        return self.draws(k)(salt)

    def quick(self, k: int, salt: int) -> float:
        """A single cheap draw (two hashes), for decisions taken without the whole record."""
        return _mix(_mix(self.seed * 1_000_003 + k) ^ ((salt * 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF)) / 2.0**64

    def draws(self, k: int):
        """The draw function of one record: ``salt`` (0-127) indexes a fixed sequence of
        uniform draws seeded by the record's index, so a draw never depends on which others
        were taken before it."""
        return _draws(self.seed, k).__getitem__

    def pick(self, k: int, salt: int, seq):
        return seq[int(self.u(k, salt) * len(seq))]

    # ---------------------------------------------------------------- timeline
    @cached_property
    def start(self) -> datetime:
        # Reporting periods start on 15 December of the year before (DOMAIN.md 5).
        return datetime(self.year - 1, 12, 1)

    @cached_property
    def span_seconds(self) -> int:
        return int((datetime(self.year + 1, 1, 1) - self.start).total_seconds()) - 1

    @cached_property
    def n_events(self) -> int:
        return self.n_dossiers + self.n_dossiers // 10

    def time_of(self, k: int) -> datetime:
        return self.start + timedelta(seconds=(k * self.span_seconds) // self.n_events)

    def first_event_at_or_after(self, ts: datetime) -> int:
        """Smallest k with time_of(k) >= ts (bisection over the monotonic timeline)."""
        lo, hi = 0, self.n_events
        while lo < hi:
            mid = (lo + hi) // 2
            if self.time_of(mid) < ts:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # ---------------------------------------------------------------- catalogue
    @cached_property
    def procedures(self) -> list[Procedure]:
        out = []
        for i in range(self.n_procedures):
            name, field_idx, days, has_fee = PROCEDURE_NAMES[i % len(PROCEDURE_NAMES)]
            if i >= len(PROCEDURE_NAMES):
                name = f"{name} (cấp huyện chuyển giao)" if i % 2 else f"{name} - trường hợp đặc biệt"
            level = "4" if self.u(-1 - i, 1) < 0.55 else ("3" if self.u(-1 - i, 2) < 0.7 else "2")
            eligible = "1" if level in ("3", "4") or self.u(-1 - i, 3) < 0.3 else "0"
            eligible_full = "1" if level == "4" or self.u(-1 - i, 4) < 0.15 else "0"
            fee = str(has_fee)
            out.append(
                Procedure(
                    code=f"1.{8000 + i * 37:06d}" if i % 3 else f"2.{1900 + i * 11:06d}",
                    name=name,
                    field_code=FIELDS[field_idx][0],
                    field_name=FIELDS[field_idx][1],
                    level=level,
                    eligible_online=eligible,
                    eligible_full=eligible_full,
                    has_fee=fee,
                    online_payment="1" if fee == "1" and self.u(-1 - i, 5) < 0.75 else "0",
                    on_national_portal="1" if level in ("3", "4") and self.u(-1 - i, 6) < 0.9 else "0",
                    days=days,
                    unit=UNITS[i % len(UNITS)][0],
                    weight=1.0 / (1 + i % 17),
                )
            )
        return out

    @cached_property
    def _proc_cumulative(self) -> list[float]:
        total, acc = sum(p.weight for p in self.procedures), []
        run = 0.0
        for p in self.procedures:
            run += p.weight / total
            acc.append(run)
        return acc

    def procedure_record(self, p: Procedure) -> dict:
        return {
            "MaTTHC": p.code,
            "TenTTHC": p.name,
            "MaLinhVuc": p.field_code,
            "TenLinhVuc": p.field_name,
            "CapThucHien": "1",
            "MucDo": p.level,
            "DuDieuKienDVCTT": p.eligible_online,
            "DuDieuKienToanTrinh": p.eligible_full,
            "CoPhiLePhi": p.has_fee,
            "CoThanhToanTrucTuyen": p.online_payment,
            "CongKhaiTrenDVCQG": p.on_national_portal,
            "ThoiHanGiaiQuyet": str(p.days),
            "CoQuanThucHien": p.unit,
            "NgayCapNhat": fmt(self.start),
        }

    # ---------------------------------------------------------------- dossiers
    def kind_of(self, k: int) -> tuple[str, int]:
        """('final' | 'intermediate', dossier id) of event k."""
        if k % BLOCK == INTERMEDIATE_POS:
            return "intermediate", k + PAIR_GAP
        return "final", k

    def has_intermediate(self, d: int) -> bool:
        return d % BLOCK == (INTERMEDIATE_POS + PAIR_GAP) % BLOCK and d - PAIR_GAP >= 0

    def dossier_event(self, k: int, updated_at: datetime | None = None) -> dict:
        """The record the portal serves for event k (``updated_at`` overrides NgayCapNhat)."""
        kind, d = self.kind_of(k)
        rec = self._dossier(d, as_of_intermediate=(kind == "intermediate"))
        if updated_at is not None:
            rec["NgayCapNhat"] = fmt(updated_at)
            rec["DongBoDVCQG"] = "1"
        return rec

    def _final_status(self, d: int) -> str:
        r = self.quick(d, 1)
        for status, cum in (
            ("10", 0.74),
            ("9", 0.82),
            ("3", 0.85),
            ("7", 0.87),
            ("8", 0.88),
            ("4", 0.93),
            ("5", 0.95),
            ("6", 0.96),
            ("2", 0.985),
        ):
            if r < cum:
                return status
        return "1"

    def _dossier(self, d: int, as_of_intermediate: bool) -> dict:
        u = self.draws(d)
        r = u(2)
        proc = self.procedures[min(bisect_left(self._proc_cumulative, r), len(self.procedures) - 1)]
        final_time = self.time_of(d)
        paired = self.has_intermediate(d)
        inter_time = self.time_of(d - PAIR_GAP) if paired else None
        status = self._final_status(d)
        if as_of_intermediate:
            status = "4"

        online_p = {"4": 0.88, "3": 0.62, "2": 0.08}[proc.level]
        channel = "2" if u(3) < online_p else ("3" if u(4) < 0.04 else "1")
        if status == "1":
            channel = "2"

        # Lifecycle, anchored on the event times so NgayCapNhat is the last change.
        deadline_days = proc.days
        if paired:
            received = inter_time - timedelta(seconds=int(u(5) * 3600))
        else:
            frac = 0.15 + u(6) * 0.8 if u(7) < 0.86 else 1.0 + u(8) * 0.6
            dur = timedelta(days=max(deadline_days, 1) * frac, seconds=int(u(9) * 7200))
            received = final_time - dur
        submitted = received - timedelta(seconds=int(u(10) * (86400 if channel == "2" else 900)))
        promised = received + timedelta(days=deadline_days) if deadline_days else None
        ended = returned = refused = None
        if status in ("9", "10"):
            gap = (final_time - received).total_seconds()
            ended = final_time - timedelta(seconds=int(min(3600.0, gap / 3) * u(11)))
            if status == "10":
                returned = final_time
        if status == "3":
            refused = final_time
        if status == "1":
            received = None
            promised = None

        unit = proc.unit if u(12) < 0.9 else UNITS[int(u(13) * len(UNITS))][0]
        maho = f"{unit}-{submitted:%y%m%d}-{d:07d}"
        updated = inter_time if as_of_intermediate else final_time

        supplements = []
        if received is not None and status not in ("3",) and u(14) < 0.08:
            asked = received + timedelta(hours=2 + u(15) * 48)
            if asked < updated:
                answered = asked + timedelta(days=u(16) * 6)
                unanswered = status == "5" or u(17) < 0.1 or answered > updated
                supplements.append(
                    {"NgayYeuCauBoSung": fmt(asked), "NgayTiepNhanBoSung": "" if unanswered else fmt(answered)}
                )
        if status == "5" and not supplements and received is not None:
            supplements.append({"NgayYeuCauBoSung": fmt(received + timedelta(hours=1)), "NgayTiepNhanBoSung": ""})

        components = []
        for j in range(1 + int(u(18) * 4)):
            code, fname = COMPONENTS[(d + j) % len(COMPONENTS)]
            reuse = u(30 + j)
            components.append(
                {
                    "MaThanhPhanHoSo": code,
                    "TenTepDinhKem": fname,
                    "DuocSoHoa": "1" if u(40 + j) < 0.8 else "0",
                    "DuocTaiSuDung": "1" if reuse < 0.35 else "0",
                    "DuocLayTuKhoDMQG": "1" if 0.35 <= reuse < 0.5 else ("" if reuse > 0.95 else "0"),
                    "MaKetQuaThayThe": f"KQ.{(d * 7 + j) % 100000:05d}" if u(50 + j) < 0.4 else "",
                    "IsDeleted": "1" if u(60 + j) < 0.03 else ("" if u(61 + j) < 0.2 else "0"),
                }
            )

        fees = []
        if proc.has_fee == "1":
            amount = [50_000, 100_000, 150_000, 1_500_000, 3_000_000][int(u(19) * 5)]
            form = AMOUNT_FORMS[int(u(20) * len(AMOUNT_FORMS))]
            fees.append(
                {
                    "MaPhiLePhi": "LP01",
                    "TenPhiLePhi": "Lệ phí giải quyết thủ tục",
                    "Gia": form.format(n=amount, dot=f"{amount:,}".replace(",", "."), comma=f"{amount:,}"),
                    "HinhThucThu": "1" if channel == "2" else "2",
                }
            )
        paid_online = "0"
        if fees and channel == "2" and fees[0]["Gia"]:
            r = u(21)
            paid_online = "1" if r < 0.45 else ("2" if r < 0.62 else ("3" if r < 0.8 else "0"))

        results = []
        if status in ("9", "10"):
            if u(22) < 0.9:
                results.append(
                    {
                        "MaGiayToKetQua": f"KQ.{d % 100000:05d}",
                        "TenGiayTo": "Kết quả giải quyết",
                        "DuongDanTepTinKetQua": f"https://dichvucong.example.gov.vn/files/{maho}.pdf",
                    }
                )
            elif u(23) < 0.5:
                results.append(
                    {
                        "MaGiayToKetQua": f"KQ.{d % 100000:05d}",
                        "TenGiayTo": "Kết quả giải quyết",
                        "DuongDanTepTinKetQua": "",
                    }
                )

        name = f"{self.pick(d, 24, SURNAMES)} {self.pick(d, 25, MIDDLE)} {self.pick(d, 26, GIVEN)}"
        id_len = 12 if u(27) < 0.93 else (9 if u(28) < 0.7 else 11)
        id_number = str(int(u(29) * 10**id_len)).zfill(id_len)
        use_nfd = u(70) < 0.1
        text = nfd if use_nfd else (lambda s: s)
        rec = {
            "MaHoSo": maho,
            "MaTTHC": proc.code,
            "TenTTHC": text(proc.name),
            "MaLinhVuc": proc.field_code,
            "TenLinhVuc": text(proc.field_name),
            "DonViXuLy": unit,
            "KenhThucHien": channel,
            "TrangThaiHoSo": status,
            "NgayNopHoSo": fmt(submitted),
            "NgayTiepNhan": fmt(received),
            "NgayHenTra": fmt(promised),
            "NgayKetThucXuLy": fmt(ended),
            "NgayTra": fmt(returned),
            "NgayTuChoi": fmt(refused),
            "NgayCapNhat": fmt(updated),
            "ChuHoSo": text(name),
            "SoGiayToChuHoSo": id_number,
            "SoDienThoai": "" if u(71) < 0.15 else f"09{int(u(72) * 1e8):08d}",
            "Email": "" if u(73) < 0.6 else f"user{d}@example.vn",
            "DiaChi": text(self.pick(d, 74, PLACES)),
            "LoaiDoiTuong": "1" if u(75) < 0.85 else self.pick(d, 76, ["2", "3", "4"]),
            "LaNopHo": ("1" if u(77) < 0.2 else self.pick(d, 78, ["0", "", None])) if channel == "2" else "0",
            "HoSoCoThanhPhanSoHoa": "1" if u(79) < 0.72 else "0",
            "TaiKhoanDuocXacThucVoiVNeID": ("1" if u(80) < 0.76 else self.pick(d, 81, ["0", ""]))
            if channel == "2"
            else "",
            "DuocThanhToanTrucTuyen": paid_online,
            "DongBoDVCQG": "1" if u(82) < 0.93 else "0",
            "TaiLieuNop": components,
            "DanhSachLePhi": fees,
            "DanhSachGiayToKetQua": results,
            "DanhSachHoSoBoSung": supplements,
        }
        defect = None if as_of_intermediate else self.defect_of(d)
        if defect:
            self._break(rec, defect)
        return rec

    def defect_of(self, d: int) -> str | None:
        """The defect injected in dossier d's final version, if any."""
        u = self.draws(d)
        if u(90) < self.defect_share:
            return DOSSIER_DEFECTS[int(u(91) * len(DOSSIER_DEFECTS))]
        return None

    @staticmethod
    def _break(rec: dict, defect: str) -> None:
        if defect == "empty_code":
            rec["MaHoSo"] = ""
        elif defect == "bad_updated_at":
            ts = rec["NgayCapNhat"]
            rec["NgayCapNhat"] = f"{ts[6:8]}/{ts[4:6]}/{ts[:4]} {ts[8:10]}:{ts[10:12]}"
        elif defect == "unknown_procedure":
            rec["MaTTHC"] = "9.999999"
        elif defect == "bad_channel":
            rec["KenhThucHien"] = "4"
        elif defect == "bad_status":
            rec["TrangThaiHoSo"] = "11"
        elif defect == "bad_date":
            rec["NgayNopHoSo"] = rec["NgayNopHoSo"][:4] + "0231" + rec["NgayNopHoSo"][8:]
        elif defect == "received_missing":
            rec["TrangThaiHoSo"], rec["NgayTiepNhan"] = "4", ""
            rec["NgayKetThucXuLy"] = rec["NgayTra"] = ""
        elif defect == "received_before_submitted":
            rec["NgayNopHoSo"] = fmt(datetime.strptime(rec["NgayCapNhat"], "%Y%m%d%H%M%S") + timedelta(days=1))
            if not rec["NgayTiepNhan"]:
                rec["NgayTiepNhan"] = rec["NgayCapNhat"]
        elif defect == "ended_before_received":
            rec["TrangThaiHoSo"] = "9"
            rec["NgayTiepNhan"] = rec["NgayCapNhat"]
            rec["NgayKetThucXuLy"] = fmt(datetime.strptime(rec["NgayCapNhat"], "%Y%m%d%H%M%S") - timedelta(days=2))
            rec["NgayNopHoSo"] = rec["NgayKetThucXuLy"][:8] + "000000"
        elif defect == "ended_missing":
            rec["TrangThaiHoSo"], rec["NgayKetThucXuLy"] = "10", ""

    # ---------------------------------------------------------------- ratings
    RATING_DELAY_MAX = timedelta(hours=72)

    def rating_stub(self, k: int) -> tuple[datetime, str, int] | None:
        """(position time, MaDanhGia, dossier id) of the rating of event k, if any; cheap:
        the dossier itself is only generated for the ratings a page serves."""
        kind, d = self.kind_of(k)
        if kind != "final" or self._final_status(d) != "10" or self.quick(d, 100) >= 0.35:
            return None
        delay = 3600 + int(self.quick(d, 101) * (self.RATING_DELAY_MAX.total_seconds() - 3600))
        return self.time_of(d) + timedelta(seconds=delay), f"DG{d:08d}", d

    def rating_record(self, stub: tuple[datetime, str, int]) -> dict:
        when, code, d = stub
        r = self.u(d, 102)
        rec = {
            "MaDanhGia": code,
            "MaHoSo": self._dossier(d, False)["MaHoSo"],
            "NgayDanhGia": fmt(when),
            "MucDoHaiLong": "1" if r < 0.6 else ("2" if r < 0.92 else "3"),
        }
        if self.u(d, 103) < self.defect_share * 2:
            defect = RATING_DEFECTS[int(self.u(d, 104) * len(RATING_DEFECTS))]
            if defect == "bad_level":
                rec["MucDoHaiLong"] = "4"
            elif defect == "missing_date":
                rec["NgayDanhGia"] = ""
            else:
                rec["MaHoSo"] = f"000.00.20.H12-000000-{9_000_000 + d}"
        return rec
