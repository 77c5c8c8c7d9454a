"""The ``.csv`` reader's plan: sniff the encoding (UTF-8 with or without BOM, UTF-16,
Windows-1258) and delimiter, find the header and footer, transcode or cut into a work
folder when needed (the input file is only ever read), and give the SQL with which DuckDB's
own reader lands the rows, student codes pseudonymised in SQL and each row's physical line
kept."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from connectors.exports.files import WORK_PREFIX, FileRead, UnreadableFile, work_file
from connectors.exports.headers import HEADER_SCAN_ROWS, as_of_from_titles, footer_start, match_header
from connectors.exports.layouts import Field, Layout

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 1 << 20
TAIL_BYTES = 1 << 16


@dataclass
class CsvPlan:
    """How DuckDB reads one CSV: the (prepared) file, delimiter, lines to skip and which
    column holds which field. ``prepare`` runs the first two of three statements on the
    caller's connection and gives the third, which the caller lands:

    1. ``stage_sql``: DuckDB's reader copies the rows, in file order, to a Parquet file in
       the work folder (``stage``; it answers with the row count); a row's ordinal is its
       ``file_row_number`` there. A Parquet file, not a temporary table: at 40 M rows the
       landing took 27.5 s against 43.1 s (docs/decisions.md, "The CSV stage is a Parquet
       file");
    2. ``codes_sql``: the keyed hash of each distinct student code (hashing the distinct
       codes, not every row, keeps the load fast);
    3. ``select_sql``: the layout's columns with codes replaced by their pseudonyms and each
       row's physical line: header line + ordinal, or, when the body holds blank lines or
       values spanning lines (the staged row count is then below ``body_lines``), the line
       numbers the csv module counted (``line_numbers``, registered as ``_csv_lines``).

    ``discard`` drops what the three left (the codes table, the stage file).
    """

    path: Path
    read: FileRead
    skip_lines: int  # physical lines before the first data line
    width: int  # columns in the header
    columns: dict[str, int]
    stage: Path  # the Parquet copy ``stage_sql`` writes; absent until then
    body_lines: int = 0  # physical lines after the header

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
        # preserve_order: the rows keep the file's order whatever the connection's
        # preserve_insertion_order says, so file_row_number is the row's ordinal
        return (
            f"copy (select * from {self.reader_sql()}) to '{_sql_path(self.stage)}' "
            "(format parquet, compression snappy, row_group_size 122880, preserve_order true)"
        )

    def prepare(self, con, key: bytes) -> tuple[int, str, dict[str, pa.Table]]:
        """Stage the file and hash its codes on ``con``; the rows DuckDB's reader yielded
        (blank ones included), ``select_sql`` and the tables it needs registered."""
        staged = con.execute(self.stage_sql()).fetchone()[0]
        con.execute(*self.codes_sql(key))
        exact = staged == self.body_lines
        return staged, self.select_sql(exact_lines=exact), {} if exact else {"_csv_lines": self.line_numbers()}

    def _stage_scan(self, numbered: bool = False) -> str:
        numbering = ", file_row_number=true" if numbered else ""
        return f"read_parquet('{_sql_path(self.stage)}'{numbering})"

    def _staged(self) -> str:
        """The staged rows with their ordinal (1-based, file order) and trimmed codes."""
        trimmed = "".join(f", {_trimmed(f'c{j}')} as _p{j}" for _, j in self._personal())
        return f"select file_row_number + 1 as _ordinal, *{trimmed} from {self._stage_scan(numbered=True)}"

    def _personal(self) -> list[tuple[Field, int]]:
        return [(f, self.columns[f.name]) for f in self.read.layout.fields if f.personal and f.name in self.columns]

    def codes_sql(self, key: bytes) -> tuple[str, list]:
        """Distinct personal codes (trimmed) and their HMAC-SHA256, as ``connectors.personal.pseudonym``."""
        ipad, opad = _hmac_pads(key)
        parts = [f"select distinct {_trimmed(f'c{j}')} as code from {self._stage_scan()}" for _, j in self._personal()]
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
            f"from ({self._staged()}) as r {lines_join} {' '.join(joins)} "
            f"where {not_blank}"
        )

    def discard(self, con) -> None:
        """Drop the codes table and remove the stage file (whether or not they were made)."""
        con.execute(f"drop table if exists {self.CODES}")
        self.stage.unlink(missing_ok=True)

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
    work_dir.mkdir(parents=True, exist_ok=True)
    return CsvPlan(
        prepared,
        read,
        skip_lines=skip,
        width=width,
        columns=match.columns,
        stage=work_dir / f"{WORK_PREFIX}stage-{uuid.uuid4().hex}.parquet",
        body_lines=_count_lines(prepared) - skip,
    )


def _transcode(src: Path, encoding: str, work_dir: Path) -> Path:
    """A UTF-8 copy of a Windows-1258 or UTF-16 file, streamed; tone marks stay combining
    here and are composed to NFC in dbt staging like every other text."""
    dst = work_file(work_dir, ".csv")
    with open(src, encoding=encoding, newline="") as fi, open(dst, "w", encoding="utf-8", newline="") as fo:
        shutil.copyfileobj(fi, fo, 1 << 20)
    return dst


def _copy_head(src: Path, keep: int, work_dir: Path) -> Path:
    """A copy of the first ``keep`` bytes of ``src`` (the file without its footer)."""
    dst = work_file(work_dir, ".csv")
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
