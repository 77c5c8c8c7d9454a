"""Readers of the ministry's sector-database exports and the payment exports (DOMAIN.md
2.2 and 2.3): ``.xlsx`` through python-calamine, ``.csv`` through DuckDB's own reader.

Real exports are messy: title rows above the header, merged header cells, an ``STT``
column, footer rows (totals, signatures), column order that differs between template
versions, NFD text and, for CSV, UTF-8 with or without BOM or Windows-1258 and either
``,`` or ``;``. The readers

- find the header row and match columns on their normalised header text (NFC, case and
  spacing folded, diacritics kept), never by position; the header aliases are in
  ``LAYOUTS``;
- keep every value as the text received (dates and amounts are parsed in dbt staging, so a
  value that does not parse is still landed and quarantined with its reason); Excel cells
  typed as dates are written ``dd/mm/yyyy[ HH:MM:SS]``, numbers without a spurious ``.0``;
- keep each row's file, sheet and physical row number (Excel row; CSV line counting the
  header line);
- pseudonymise student codes before anything lands (HMAC-SHA256, the same keyed hash as
  ``connectors.personal.pseudonym``; in SQL for CSV so the codes never pass through Python).

Nothing here writes the warehouse: an ``.xlsx`` becomes an Arrow table, a ``.csv`` becomes
a ``CsvPlan`` whose ``select_sql`` the caller runs inside its own DuckDB transaction.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa

from connectors.personal import pseudonym


class UnreadableFile(Exception):
    """A file the readers cannot turn into rows; the message says why (for the quarantine)."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code


# --------------------------------------------------------------------------- layouts
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
    folder: str  # "moet" or "payments"
    key: str  # the field whose emptiness marks a row that may be a footer
    fields: tuple[Field, ...]
    staging: str = ""  # dbt staging model
    checked: str = ""  # dbt model with the row rules (set_aside_reason, reason_codes, is_kept)
    unit_column: str = ""  # column of the checked model naming the unit a row belongs to
    nfd_warning: bool = True  # NFD text in the file is one warning per file and unit
    description: str = ""

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
)

HEADER_SCAN_ROWS = 40
FOOTER_WORDS = (
    "tổng cộng",
    "tổng",
    "cộng",
    "người lập",
    "lập biểu",
    "thủ trưởng",
    "hiệu trưởng",
    "kế toán",
    "giám đốc",
    "xác nhận",
    "ký tên",
    "ký, ghi rõ",
    "(ký",
    "ghi chú",
)
DATE_IN_TITLE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")


def normalise_header(value) -> str:
    """Header text as compared: NFC, case-folded, spacing folded, trailing ``(…)``, ``*`` and
    ``:`` dropped; diacritics kept (``Mã`` and ``Ma`` are different words)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ").casefold()
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)
    return text.strip(" *:.")


_ALIASES = {layout.source: {normalise_header(a): f for f in layout.fields for a in f.aliases} for layout in LAYOUTS}


@dataclass
class HeaderMatch:
    layout: Layout
    row_index: int  # 0-based index of the header's last row
    columns: dict[str, int]  # field name -> column index
    title_rows: list[list[str]]  # rows above the header block

    @property
    def missing(self) -> list[str]:
        return [f.name for f in self.layout.fields if f.required and f.name not in self.columns]


def _cell_text(value) -> str:
    return "" if value is None else str(value)


def match_header(rows: list[list], layouts: tuple[Layout, ...]) -> HeaderMatch | None:
    """The best header among the first rows: for each row (and the row above it, for a
    two-row header with merged cells), the layout with the most fields matched, all
    required ones included. ``None`` when no row holds a layout's key column."""
    best: tuple[int, HeaderMatch] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        above = rows[i - 1] if i > 0 else []
        for layout in layouts:
            aliases = _ALIASES[layout.source]
            columns: dict[str, int] = {}
            for j, own in enumerate(row):
                up = above[j] if j < len(above) else ""
                candidates = [own, up, f"{up} {own}", f"{own} {up}"] if _cell_text(own).strip() else [up]
                for text in candidates:
                    found = aliases.get(normalise_header(text))
                    if found is not None and found.name not in columns:
                        columns[found.name] = j
                        break
            if layout.key not in columns:
                continue
            candidate = HeaderMatch(layout, i, columns, [])
            score = len(columns) - 100 * len(candidate.missing)
            if best is None or score > best[0]:
                best = (score, candidate)
    if best is None:
        return None
    match = best[1]
    match.title_rows = [[_cell_text(v) for v in r] for r in rows[: match.row_index]]
    return match


def as_of_from_titles(title_rows: list[list[str]]) -> date | None:
    """The first date written in the title rows ("Tính đến ngày 05/09/2024", "ngày 5 tháng 9
    năm 2024"): the date a snapshot export (the school list) stands for."""
    for row in title_rows:
        for cell in row:
            m = DATE_IN_TITLE.search(unicodedata.normalize("NFC", cell).casefold())
            if m:
                d, mth, y = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
                try:
                    return date(int(y), int(mth), int(d))
                except ValueError:
                    continue
    return None


def is_footer_row(cells: list[str]) -> bool:
    """A totals or signature row: its first non-empty cell starts with a footer word."""
    for cell in cells:
        text = normalise_header(cell)
        if text:
            return text.startswith(FOOTER_WORDS) or bool(re.match(r"^.{0,20}ngày .* tháng .* năm", text))
    return False


def footer_start(rows: list[list[str]], key_index: int) -> int | None:
    """Index (in ``rows``) where the footer block starts: among the trailing rows whose key
    cell is empty, the first that reads as a totals or signature row. Rows with an empty
    key above it are data (they are quarantined, not dropped)."""
    i = len(rows)
    while i > 0:
        row = rows[i - 1]
        key = row[key_index] if key_index < len(row) else ""
        if _cell_text(key).strip():
            break
        i -= 1
    for j in range(i, len(rows)):
        if is_footer_row([_cell_text(c) for c in rows[j]]):
            return j
    return None


# --------------------------------------------------------------------------- results
@dataclass
class FileRead:
    """What a reader learnt about a file, beside its rows."""

    layout: Layout
    sheets: list[str] = field(default_factory=list)
    header_row: int = 0  # physical row (1-based) of the header's last row
    rows_read: int = 0  # data rows handed on for landing
    rows_blank: int = 0  # empty rows inside the data (not records)
    rows_footer: int = 0  # totals and signature rows below the data
    encoding: str | None = None
    delimiter: str | None = None
    as_of: date | None = None
    notes: list[str] = field(default_factory=list)


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- xlsx
def _xlsx_text(value) -> str | None:
    """An Excel cell as the text a person would read in it (dates as dd/mm/yyyy)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _fill_merged(rows: list[list], merged, upto: int) -> None:
    """Copy each merged range's top-left value into the range's cells (header rows only)."""
    for (r0, c0), (r1, c1) in merged or []:
        if r0 > upto:
            continue
        value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, upto) + 1):
            for c in range(c0, c1 + 1):
                if r < len(rows) and c < len(rows[r]) and rows[r][c] == "":
                    rows[r][c] = value


def read_xlsx(
    path: Path, layouts: tuple[Layout, ...], key: bytes, label: str | None = None
) -> tuple[pa.Table, FileRead]:
    """Every sheet of the workbook that carries one layout's header, as one Arrow table of
    text columns plus ``_sheet`` and ``_row`` (the Excel row number)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise UnreadableFile("file_unreadable", f"không mở được tệp Excel: {exc}") from exc
    read: FileRead | None = None
    columns: dict[str, list] = {}
    skipped_sheets = []
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        if not rows:
            skipped_sheets.append(name)
            continue
        head = [list(r) for r in rows[:HEADER_SCAN_ROWS]]
        _fill_merged(head, sheet.merged_cell_ranges, HEADER_SCAN_ROWS)
        match = match_header(head, layouts if read is None else (read.layout,))
        if match is None or match.missing:
            skipped_sheets.append(name)
            continue
        if read is None:
            read = FileRead(match.layout, header_row=match.row_index + 1, as_of=as_of_from_titles(match.title_rows))
            columns = {c: [] for c in [*match.layout.columns, "_sheet", "_row", "_row_seq"]}
        read.sheets.append(name)
        body = rows[match.row_index + 1 :]
        key_index = match.columns[match.layout.key]
        end = footer_start(body, key_index)
        if end is not None:
            read.rows_footer += len(body) - end
            body = body[:end]
        wanted = [(f, match.columns.get(f.name)) for f in match.layout.fields]
        for offset, row in enumerate(body):
            values = [(_xlsx_text(row[j]) if j is not None and j < len(row) else None) for _, j in wanted]
            if all(v is None or not v.strip() for v in values):
                read.rows_blank += 1
                continue
            for (f, _), value in zip(wanted, values):
                if f.personal:
                    value = pseudonym(value, key) if value and value.strip() else None
                columns[f.column].append(value)
            columns["_sheet"].append(name)
            columns["_row"].append(match.row_index + 2 + offset)
            read.rows_read += 1
            columns["_row_seq"].append(read.rows_read)
    if read is None:
        expected = "; ".join(
            f"{lay.source}: {', '.join(f.aliases[0] for f in lay.fields if f.required)}" for lay in layouts
        )
        raise UnreadableFile(
            "header_not_found",
            f"không tìm thấy dòng tiêu đề của mẫu nào trong tệp {label or path.name} (cần các cột {expected})",
        )
    if skipped_sheets:
        read.notes.append(f"sheets without a known header, not read: {', '.join(skipped_sheets)}")
    schema = pa.schema(
        [(c, pa.string()) for c in read.layout.columns]
        + [("_sheet", pa.string()), ("_row", pa.int64()), ("_row_seq", pa.int64())]
    )
    return pa.table(columns, schema=schema), read


# --------------------------------------------------------------------------- csv
DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 1 << 20
TAIL_BYTES = 1 << 16


@dataclass
class CsvPlan:
    """How DuckDB reads one CSV: the (prepared) file, delimiter, lines to skip and which
    column holds which field. Loading runs three statements on the caller's connection:

    1. ``stage_sql``: DuckDB's reader into a temporary table (in file order, so a row's
       ordinal is its ``rowid``); temporary tables never reach the warehouse file;
    2. ``codes_sql``: the keyed hash of each distinct student code (hashing the distinct
       codes, not every row, keeps the load fast);
    3. ``select_sql``: the layout's columns with codes replaced by their pseudonyms and each
       row's physical line: header line + ordinal, or, when the body holds blank lines or
       values spanning lines (the staged row count is then below ``body_lines``), the line
       numbers the csv module counted (``line_numbers``, registered as ``_csv_lines``).
    """

    path: Path
    read: FileRead
    skip_lines: int  # physical lines before the first data line
    width: int  # columns in the header
    columns: dict[str, int]
    body_lines: int = 0  # physical lines after the header

    STAGE = "_csv_stage"
    CODES = "_csv_codes"

    def reader_sql(self) -> str:
        names = {f"c{i}": "VARCHAR" for i in range(self.width)}
        delim = self.read.delimiter.replace("'", "''")
        return (
            f"read_csv('{_sql_path(self.path)}', columns={names!r}, header=false, skip={self.skip_lines}, "
            f"delim='{delim}', quote='\"', escape='\"', auto_detect=false, null_padding=true, "
            f"strict_mode=false, encoding='utf-8')"
        )

    def stage_sql(self) -> str:
        trimmed = "".join(f", {_trimmed(f'c{j}')} as _p{j}" for _, j in self._personal())
        return f"create or replace temp table {self.STAGE} as select *{trimmed} from {self.reader_sql()}"

    def _personal(self) -> list[tuple[Field, int]]:
        return [(f, self.columns[f.name]) for f in self.read.layout.fields if f.personal and f.name in self.columns]

    def codes_sql(self, key: bytes) -> tuple[str, list]:
        """Distinct personal codes (trimmed) and their HMAC-SHA256, as ``connectors.personal.pseudonym``."""
        ipad, opad = _hmac_pads(key)
        parts = [f"select distinct _p{j} as code from {self.STAGE}" for _, j in self._personal()]
        if not parts:
            return (
                f"create or replace temp table {self.CODES} as "
                "select ''::varchar as code, ''::varchar as pseudonym where false",
                [],
            )
        return (
            f"""create or replace temp table {self.CODES} as
                    select code, sha256(?::blob || unhex(sha256(?::blob || encode(code)))) as pseudonym
                    from ({" union ".join(parts)}) where nullif(code, '') is not null""",
            [opad, ipad],
        )

    def select_sql(self, exact_lines: bool) -> str:
        exprs, joins = [], []
        for f in self.read.layout.fields:
            j = self.columns.get(f.name)
            if j is None:
                exprs.append(f"cast(null as varchar) as {f.column}")
            elif f.personal:
                joins.append(f"left join {self.CODES} as k{j} on k{j}.code = r._p{j}")
                exprs.append(f"k{j}.pseudonym as {f.column}")
            else:
                exprs.append(f"r.c{j} as {f.column}")
        line = f"{self.skip_lines} + r._ordinal" if exact_lines else "n.line"
        lines_join = "" if exact_lines else "join _csv_lines as n on n._ordinal = r._ordinal"
        not_blank = " or ".join(f"nullif(trim(r.c{j}), '') is not null" for j in self.columns.values())
        return (
            f"select {', '.join(exprs)}, cast(null as varchar) as _sheet, cast({line} as bigint) as _row, "
            f"r._ordinal as _row_seq "
            f"from (select rowid + 1 as _ordinal, * from {self.STAGE}) as r {lines_join} {' '.join(joins)} "
            f"where {not_blank}"
        )

    def drop_sql(self) -> list[str]:
        return [f"drop table if exists {self.STAGE}", f"drop table if exists {self.CODES}"]

    def line_numbers(self) -> pa.Table:
        """(ordinal, physical line) of every row DuckDB's reader yields, counted by the csv
        module: blank lines are skipped by both, a quoted value may span lines."""
        ordinals, lines = [], []
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=self.read.delimiter)
            consumed = 0
            for row in reader:
                first_line, consumed = consumed + 1, reader.line_num
                if first_line <= self.skip_lines or not row:
                    continue
                ordinals.append(len(ordinals) + 1)
                lines.append(first_line)
        return pa.table({"_ordinal": pa.array(ordinals, pa.int64()), "line": pa.array(lines, pa.int64())})


# What str.strip() strips in the ASCII range (space, tab, LF, VT, FF, CR): codes are
# trimmed so before hashing, as connectors.personal.pseudonym does.
_WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"


def _trimmed(col: str) -> str:
    return f"trim({col}, {_WHITESPACE})"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    k = hashlib.sha256(key).digest() if len(key) > 64 else key
    k = k.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-16`` (BOM), ``utf-8`` when the first megabyte decodes as
    UTF-8, else ``cp1258`` (Windows-1258: every byte decodes, tone marks stay combining)."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head[:4096]:
        raise UnreadableFile("file_unreadable", "tệp nhị phân, không phải CSV (NUL bytes)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1258"


def plan_csv(path: Path, layouts: tuple[Layout, ...], work_dir: Path, label: str | None = None) -> CsvPlan:
    """Sniff a CSV and prepare it for DuckDB. A file that is not UTF-8 is first transcoded
    into ``work_dir``; the header and delimiter come from its first lines, the footer from
    its last ones. A footer is cut off: from our own copy in place, or by copying the body
    of an input file into ``work_dir`` (the input file itself is only ever read)."""
    label = label or path.name
    encoding = detect_encoding(path)
    utf8 = path if encoding in ("utf-8", "utf-8-sig") else _transcode(path, encoding, work_dir)
    try:
        return _plan_utf8(utf8, path, encoding, layouts, work_dir, label)
    except BaseException:
        if utf8 != path:
            utf8.unlink(missing_ok=True)
        raise


def _plan_utf8(
    utf8: Path, original: Path, encoding: str, layouts: tuple[Layout, ...], work_dir: Path, label: str
) -> CsvPlan:
    with open(utf8, "rb") as f:
        head = f.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    head = "".join(head.splitlines(keepends=True)[:HEADER_SCAN_ROWS])
    best = None
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO(head), delimiter=delimiter))
        match = match_header(rows, layouts)
        if match is not None:
            score = len(match.columns) - 100 * len(match.missing)
            if best is None or score > best[0]:
                best = (score, delimiter, match, rows)
    if best is None:
        raise UnreadableFile(
            "header_not_found",
            f"không tìm thấy dòng tiêu đề trong tệp {label} (bảng mã {encoding}, dấu phân cách , ; hoặc tab)",
        )
    _, delimiter, match, rows = best
    if match.missing:
        raise UnreadableFile("columns_missing", f"tệp {label} thiếu cột bắt buộc: {', '.join(match.missing)}")
    # Physical lines before the first data line (a quoted header cell spanning lines counts).
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    for _ in range(match.row_index + 1):
        next(reader)
    skip = reader.line_num
    read = FileRead(
        match.layout,
        header_row=skip,
        encoding=encoding.replace("-sig", " BOM"),
        delimiter=delimiter,
        as_of=as_of_from_titles(match.title_rows),
    )

    # Footer: among the last lines only, located in bytes so it can be cut off exactly.
    size = utf8.stat().st_size
    with open(utf8, "rb") as f:
        f.seek(max(0, size - TAIL_BYTES))
        tail = f.read().splitlines(keepends=True)
    if size > TAIL_BYTES:
        tail = tail[1:]  # the first may be a partial line
    tail_rows = [next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=delimiter), []) for line in tail]
    prepared = utf8
    start = footer_start(tail_rows, match.columns[match.layout.key])
    if start is not None:
        read.rows_footer = sum(1 for r in tail_rows[start:] if any(c.strip() for c in r))
        keep = size - sum(len(line) for line in tail[start:])
        if utf8 == original:
            prepared = _copy_head(original, keep, work_dir)
        else:
            with open(utf8, "rb+") as f:
                f.truncate(keep)
    width = max(len(rows[match.row_index]), max(match.columns.values()) + 1)
    return CsvPlan(
        prepared, read, skip_lines=skip, width=width, columns=match.columns, body_lines=_count_lines(prepared) - skip
    )


def _work_file(work_dir: Path) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=work_dir, suffix=".csv")
    os.close(fd)
    return Path(name)


def _transcode(src: Path, encoding: str, work_dir: Path) -> Path:
    """A UTF-8 copy of a Windows-1258 or UTF-16 file, streamed; tone marks stay combining
    here and are composed to NFC in dbt staging like every other text."""
    dst = _work_file(work_dir)
    with open(src, encoding=encoding, newline="") as fi, open(dst, "w", encoding="utf-8", newline="") as fo:
        shutil.copyfileobj(fi, fo, 1 << 20)
    return dst


def _copy_head(src: Path, keep: int, work_dir: Path) -> Path:
    """A copy of the first ``keep`` bytes of ``src`` (the file without its footer)."""
    dst = _work_file(work_dir)
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while keep > 0 and (block := fi.read(min(1 << 22, keep))):
            fo.write(block)
            keep -= len(block)
    return dst


def _count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (0 if last == b"\n" else 1)
