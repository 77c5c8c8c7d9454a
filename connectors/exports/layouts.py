"""The kinds of dropped export, declared once (``LAYOUTS``): for each, the fields a reader
finds by their header text (with aliases), the raw table and drop folder it lands in, and
what the dbt project needs to know of it (``Layout.dbt_registry``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...]
    required: bool = True
    personal: bool = False  # pseudonymised before landing; lands as ``<name>_hash``

    @property
    def column(self) -> str:
        return f"{self.name}_hash" if self.personal else self.name


@dataclass(frozen=True)
class Layout:
    """One kind of dropped export, declared once: how the reader finds it (``fields``),
    where it lands (``table``, ``folder``) and what the dbt project needs to know of it
    (``dbt_registry``: its staging and checked models, the column naming its unit, whether
    NFD text in it is a warning). The quarantine, the reconciliation, the unit rule, the
    warnings, the GX quarantine suite and the Dagster intake assets all loop over
    ``LAYOUTS``; CONTRIBUTING.md has the recipe for a new one."""

    source: str  # e.g. "payments.collections"
    table: str  # raw table
    folder: str  # "moet", "payments" or "forms"
    key: str  # the field whose emptiness marks a row that may be a footer
    fields: tuple[Field, ...]
    staging: str = ""  # dbt staging model
    checked: str = ""  # dbt model with the row rules (set_aside_reason, reason_codes, is_kept)
    unit_column: str = ""  # column of the checked model naming the unit a row belongs to
    nfd_warning: bool = True  # NFD text in the file is one warning per file and unit
    description: str = ""
    reader: str = "table"  # "table": a header row and rows under it; "form": a unit's report form

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The file kinds this layout is read from (``files.FILE_KINDS``)."""
        return ("xlsx",) if self.reader == "form" else ("xlsx", "csv")

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    def dbt_registry(self) -> dict:
        """What the dbt project reads of this layout (the dbt var ``file_sources``)."""
        return {
            "source": self.source,
            "raw_table": self.table,
            "staging": self.staging,
            "checked": self.checked,
            "unit": self.unit_column,
            "nfd_warning": self.nfd_warning,
            "reader": self.reader,
        }


F = Field
SCHOOL_CODE = F("ma_truong", ("mã trường", "mã trường học", "mã số trường"))
SCHOOL_YEAR = F("nam_hoc", ("năm học",))
AMOUNT = F("so_tien", ("số tiền", "số tiền thu", "số tiền giao dịch", "thành tiền"))

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "moet.schools",
        "moet_schools",
        "moet",
        "ma_truong",
        staging="stg_moet__schools",
        checked="int_moet__schools_checked",
        unit_column="school_code",
        description="Danh sách trường: school lists from the sector database.",
        fields=(
            SCHOOL_CODE,
            F("ten_truong", ("tên trường", "tên trường học")),
            F("cap_hoc", ("cấp học", "cấp")),
            F("loai_hinh", ("loại hình", "loại hình trường")),
            F("don_vi_quan_ly", ("đơn vị quản lý", "cơ quan quản lý", "đơn vị chủ quản")),
            F("huyen", ("huyện/thành phố", "huyện/thị xã/thành phố", "quận/huyện", "huyện", "huyện/tp")),
            F("xa", ("xã/phường", "phường/xã", "xã/phường/thị trấn"), required=False),
            F("so_hoc_sinh", ("số học sinh", "tổng số học sinh"), required=False),
            F("so_giao_vien", ("số giáo viên", "tổng số giáo viên"), required=False),
            F("trang_thai", ("trạng thái", "tình trạng"), required=False),
        ),
    ),
    Layout(
        "moet.assessments",
        "moet_assessments",
        "moet",
        "ma_truong",
        staging="stg_moet__assessments",
        checked="int_moet__assessments_checked",
        unit_column="school_code",
        nfd_warning=False,
        description="Tự đánh giá chuyển đổi số (QĐ 4725): self-assessments.",
        fields=(
            SCHOOL_CODE,
            SCHOOL_YEAR,
            F("diem_day_hoc", ("điểm cđs dạy học", "điểm chuyển đổi số dạy học", "điểm cđs trong dạy học")),
            F("muc_day_hoc", ("mức dạy học", "mức cđs dạy học", "mức chuyển đổi số dạy học"), required=False),
            F("diem_quan_tri", ("điểm cđs quản trị", "điểm chuyển đổi số quản trị", "điểm cđs trong quản trị")),
            F("muc_quan_tri", ("mức quản trị", "mức cđs quản trị", "mức chuyển đổi số quản trị"), required=False),
            F("ngay_danh_gia", ("ngày đánh giá", "ngày tự đánh giá")),
        ),
    ),
    Layout(
        "payments.transactions",
        "payment_transactions",
        "payments",
        "ma_giao_dich",
        staging="stg_payments__transactions",
        checked="int_payments__transactions_checked",
        unit_column="unit_code",
        description="Giao dịch thanh toán phí, lệ phí trực tuyến: online fee payments.",
        fields=(
            F("ma_giao_dich", ("mã giao dịch", "mã gd", "số giao dịch")),
            F("ma_ho_so", ("mã hồ sơ", "số hồ sơ")),
            F("ma_tthc", ("mã tthc", "mã thủ tục"), required=False),
            AMOUNT,
            F("trang_thai", ("trạng thái", "trạng thái giao dịch")),
            F("kenh_thanh_toan", ("kênh thanh toán",), required=False),
            F("ngan_hang", ("ngân hàng",), required=False),
            F("thoi_gian_giao_dich", ("thời gian giao dịch", "ngày giao dịch", "thời gian thanh toán")),
        ),
    ),
    Layout(
        "payments.collections",
        "school_collections",
        "payments",
        "ma_truong",
        staging="stg_payments__collections",
        checked="int_payments__collections_checked",
        unit_column="school_code",
        description="Các khoản thu tại trường: school collections, student codes pseudonymised.",
        fields=(
            SCHOOL_CODE,
            F("ma_hoc_sinh", ("mã học sinh", "mã định danh học sinh", "mã hs"), personal=True),
            SCHOOL_YEAR,
            F("khoan_thu", ("khoản thu", "tên khoản thu")),
            AMOUNT,
            F("hinh_thuc_thanh_toan", ("hình thức thanh toán", "hình thức thu", "phương thức thanh toán")),
            F("ngay_thu", ("ngày thu", "ngày nộp")),
            F("so_bien_lai", ("số biên lai", "số chứng từ", "số hóa đơn")),
        ),
    ),
    # The units' periodic report forms (DOMAIN.md 7), read by connectors.exports.forms: one
    # landed row per block label (Mã đơn vị, Kỳ báo cáo, Ngày báo cáo: ``label``/``value``)
    # and per filled table row (Mã chỉ tiêu, Tử số, Mẫu số), each carrying the block's
    # values. The preparer's name and phone are personal data and are never read.
    Layout(
        "forms",
        "unit_forms",
        "forms",
        "ma_chi_tieu",
        staging="stg_forms__rows",
        checked="int_forms__rows_checked",
        unit_column="unit_code",
        nfd_warning=False,
        reader="form",
        description="Biểu mẫu báo cáo CCHC định kỳ của đơn vị: the units' filled report forms.",
        fields=(
            # the block: found by its labels (any column, value in the next non-empty cell)
            F("ma_don_vi", ("mã đơn vị",), required=False),
            F("ky_bao_cao", ("kỳ báo cáo",), required=False),
            F("ngay_bao_cao", ("ngày báo cáo",), required=False),
            F("label", (), required=False),
            F("value", (), required=False),
            # the table: found by its header row (Mã chỉ tiêu, Tử số, Mẫu số)
            F("ma_chi_tieu", ("mã chỉ tiêu",)),
            F("ten_chi_tieu", ("tên chỉ tiêu",), required=False),
            F("tu_so", ("tử số",)),
            F("mau_so", ("mẫu số",)),
        ),
    ),
)
