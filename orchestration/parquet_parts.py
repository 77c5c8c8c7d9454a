"""A mart's Parquet file written by parts: each source file's rows in row groups of their own,
so the next release re-encodes only the files whose rows changed and splices the others'
row groups, as bytes, from the file it publishes now (docs/decisions.md, "A fact's Parquet
file by parts").

A Parquet file is ``PAR1``, its column chunks, its footer (a Thrift compact-protocol
``FileMetaData``), the footer's length and ``PAR1``. The footer says where each row group's
column chunks are (absolute offsets). Splicing copies each row group's byte span from the
file it is in to the new file, and writes one footer listing all of them with their offsets
moved by how far their bytes moved. Nothing else changes: every column chunk, with its
pages, dictionary and statistics, is the bytes DuckDB wrote.

The footer is decoded and encoded generically (any field, any version of the format), and
an old footer must encode back to its own bytes before anything is spliced from it; a
footer this module does not understand (encrypted, chunks in other files, schemas that
differ) is refused with ``Unspliceable`` and the caller writes the mart whole.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from orchestration.escaping import sql_literal

log = logging.getLogger(__name__)

MAGIC = b"PAR1"
# Thrift compact protocol types
STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)
MAX_FOOTER = 256 * 1024 * 1024  # a footer's length is read from the file: bounded, never trusted

# Field ids of parquet.thrift used here (FileMetaData, RowGroup, ColumnChunk, ColumnMetaData)
FILE_SCHEMA, FILE_NUM_ROWS, FILE_ROW_GROUPS, FILE_ENCRYPTION = 2, 3, 4, 8
RG_COLUMNS, RG_NUM_ROWS, RG_FILE_OFFSET, RG_ORDINAL = 1, 3, 5, 7
CC_FILE_PATH, CC_FILE_OFFSET, CC_META = 1, 2, 3
CC_PAGE_INDEX = {4, 5, 6, 7}  # offset and column index offsets and lengths: dropped (optional)
CC_CRYPTO = {8, 9}
CM_TOTAL_COMPRESSED, CM_DATA_PAGE, CM_INDEX_PAGE, CM_DICTIONARY_PAGE = 7, 9, 10, 11
CM_BLOOM_OFFSET, CM_BLOOM_LENGTH = 14, 15


class Unspliceable(ValueError):
    """A Parquet file whose footer this module will not splice from."""


# -- Thrift compact protocol ---------------------------------------------------------------
# A struct is a list of [field id, type, value]; a list or set is (element type, [values]);
# a map is (key type, value type, [(key, value)]). A boolean field's value is its type.


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise Unspliceable("footer ends inside a value")
        self.at += 1
        return self.data[self.at - 1]

    def varint(self) -> int:
        value = shift = 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise Unspliceable("varint longer than 64 bits")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise Unspliceable("footer ends inside a value")
        self.at += size
        return self.data[self.at - size : self.at]

    def value(self, kind: int):
        if kind in (TRUE, FALSE):  # a boolean element of a list: one byte
            return self.byte()
        if kind == BYTE:
            return self.byte()
        if kind in (I16, I32, I64):
            return self.zigzag()
        if kind == DOUBLE:
            return self.take(8)
        if kind == BINARY:
            return self.take(self.varint())
        if kind in (LIST, SET):
            head = self.byte()
            size, element = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return (element, [self.value(element) for _ in range(size)])
        if kind == MAP:
            size = self.varint()
            if not size:
                return (0, 0, [])
            head = self.byte()
            return (head >> 4, head & 0x0F, [(self.value(head >> 4), self.value(head & 0x0F)) for _ in range(size)])
        if kind == STRUCT:
            fields, last = [], 0
            while (head := self.byte()) != STOP:
                delta, field_kind = head >> 4, head & 0x0F
                last = last + delta if delta else self.zigzag()
                value = None if field_kind in (TRUE, FALSE) else self.value(field_kind)
                fields.append([last, field_kind, value])
            return fields
        raise Unspliceable(f"unknown Thrift type {kind}")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


def _encode(kind: int, value, out: bytearray) -> None:
    if kind in (TRUE, FALSE, BYTE):
        out.append(value)
    elif kind in (I16, I32, I64):
        out += _zigzag(value)
    elif kind == DOUBLE:
        out += value
    elif kind == BINARY:
        out += _varint(len(value)) + value
    elif kind in (LIST, SET):
        element, items = value
        out += bytes([len(items) << 4 | element]) if len(items) < 15 else bytes([0xF0 | element]) + _varint(len(items))
        for item in items:
            _encode(element, item, out)
    elif kind == MAP:
        key, val, items = value
        out += _varint(len(items))
        if items:
            out.append(key << 4 | val)
        for k, v in items:
            _encode(key, k, out)
            _encode(val, v, out)
    elif kind == STRUCT:
        last = 0
        for field, field_kind, field_value in value:
            delta = field - last
            out += bytes([delta << 4 | field_kind]) if 0 < delta <= 15 else bytes([field_kind]) + _zigzag(field)
            last = field
            if field_kind not in (TRUE, FALSE):
                _encode(field_kind, field_value, out)
        out.append(STOP)
    else:
        raise Unspliceable(f"unknown Thrift type {kind}")


def decode_struct(data: bytes) -> list:
    reader = _Reader(data)
    try:
        fields = reader.value(STRUCT)
    except RecursionError:
        raise Unspliceable("footer nested too deep") from None
    if reader.at != len(data):
        raise Unspliceable("bytes after the footer's struct")
    return fields


def encode_struct(fields: list) -> bytes:
    out = bytearray()
    _encode(STRUCT, fields, out)
    return bytes(out)


def _get(fields: list, field: int, default=None):
    return next((value for fid, _, value in fields if fid == field), default)


def _set(fields: list, field: int, value) -> None:
    for entry in fields:
        if entry[0] == field:
            entry[2] = value
            return
    raise Unspliceable(f"field {field} missing")


# -- Parquet files -------------------------------------------------------------------------


@dataclass
class Footer:
    """A Parquet file's decoded ``FileMetaData`` and the bytes it was decoded from."""

    path: Path
    meta: list
    raw: bytes

    @property
    def row_groups(self) -> list[list]:
        return _get(self.meta, FILE_ROW_GROUPS, (STRUCT, []))[1]


def read_footer(path: Path) -> Footer:
    """The footer of Parquet file ``path``, refused unless it encodes back to its own bytes."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        if size < 12:
            raise Unspliceable(f"{path.name}: too short for Parquet")
        f.seek(size - 8)
        length, magic = struct.unpack("<I4s", f.read(8))
        f.seek(0)
        if magic != MAGIC or f.read(4) != MAGIC:
            raise Unspliceable(f"{path.name}: not a plain Parquet file (encrypted or not Parquet)")
        if not 0 < length <= min(MAX_FOOTER, size - 12):
            raise Unspliceable(f"{path.name}: footer length {length} out of range")
        f.seek(size - 8 - length)
        raw = f.read(length)
    meta = decode_struct(raw)
    if encode_struct(meta) != raw:
        raise Unspliceable(f"{path.name}: footer does not encode back to its bytes")
    if _get(meta, FILE_ENCRYPTION) is not None:
        raise Unspliceable(f"{path.name}: encrypted")
    return Footer(path, meta, raw)


def _span(row_group: list) -> tuple[int, int]:
    """The byte span [start, end) of a row group's column chunks."""
    starts, ends = [], []
    for chunk in _get(row_group, RG_COLUMNS)[1]:
        if _get(chunk, CC_FILE_PATH) is not None or any(_get(chunk, f) is not None for f in CC_CRYPTO):
            raise Unspliceable("a column chunk in another file or encrypted")
        meta = _get(chunk, CC_META)
        if meta is None:
            raise Unspliceable("a column chunk without its metadata")
        offsets = [o for f in (CM_DATA_PAGE, CM_INDEX_PAGE, CM_DICTIONARY_PAGE) if isinstance(o := _get(meta, f), int)]
        size = _get(meta, CM_TOTAL_COMPRESSED)
        if not offsets or min(offsets) <= 0 or not isinstance(size, int) or size <= 0:
            raise Unspliceable("a column chunk without its pages' place")
        starts.append(min(offsets))
        ends.append(min(offsets) + size)
    if not starts:
        raise Unspliceable("a row group without columns")
    return min(starts), max(ends)


def _moved(row_group: list, delta: int, ordinal: int, span: tuple[int, int], blooms: dict[int, int]) -> list:
    """A copy of ``row_group`` whose bytes moved by ``delta``, numbered ``ordinal``; ``blooms``
    the new offsets of its chunks' bloom filters copied apart from the span."""
    moved = []
    for fid, kind, value in row_group:
        if fid == RG_COLUMNS:
            chunks = [_moved_chunk(chunk, delta, span, blooms.get(i)) for i, chunk in enumerate(value[1])]
            value = (value[0], chunks)
        elif fid == RG_FILE_OFFSET and value:
            value += delta
        elif fid == RG_ORDINAL:
            value = ordinal
        moved.append([fid, kind, value])
    return moved


def _moved_chunk(chunk: list, delta: int, span: tuple[int, int], bloom: int | None) -> list:
    out = []
    for fid, kind, value in chunk:
        if fid in CC_PAGE_INDEX:
            continue  # the page index sits outside the row group's span: not carried (optional)
        if fid == CC_FILE_OFFSET and value:
            value += delta
        elif fid == CC_META:
            value = _moved_meta(value, delta, span, bloom)
        out.append([fid, kind, value])
    return out


def _moved_meta(meta: list, delta: int, span: tuple[int, int], bloom: int | None) -> list:
    inside = span[0] <= (_get(meta, CM_BLOOM_OFFSET) or -1) < span[1]
    out = []
    for fid, kind, value in meta:
        if fid in (CM_BLOOM_OFFSET, CM_BLOOM_LENGTH) and not inside and bloom is None:
            continue  # a bloom filter that was not carried (it is optional)
        if fid in (CM_DATA_PAGE, CM_INDEX_PAGE, CM_DICTIONARY_PAGE) and value:
            value += delta
        elif fid == CM_BLOOM_OFFSET:
            value = value + delta if inside else bloom
        out.append([fid, kind, value])
    return out


def _outside_blooms(row_group: list, span: tuple[int, int]) -> dict[int, tuple[int, int]]:
    """The bloom filters of a row group's chunks written apart from its span (DuckDB writes
    them after the last row group): chunk index -> (offset, length)."""
    found = {}
    for i, chunk in enumerate(_get(row_group, RG_COLUMNS)[1]):
        meta = _get(chunk, CC_META)
        offset, length = _get(meta, CM_BLOOM_OFFSET), _get(meta, CM_BLOOM_LENGTH)
        if offset is not None and length and not span[0] <= offset < span[1]:
            found[i] = (offset, offset + length)
    return found


def splice(target: Path, sources: list[tuple[Footer, range]]) -> list[int]:
    """Write ``target`` from the row groups ``sources`` name (each a file's footer and a range
    of its row groups, in order), each row group followed by its chunks' bloom filters, and
    return the number of rows each source gave. The files must have the same schema."""
    first = sources[0][0]
    schema = _schema_bytes(first)
    row_groups, counts = [], []
    with open(target, "wb") as out:
        out.write(MAGIC)
        for footer, chosen in sources:
            if _schema_bytes(footer) != schema:
                raise Unspliceable(f"{footer.path.name}: another schema")
            groups, rows = footer.row_groups, 0
            with open(footer.path, "rb") as src:
                for index in chosen:
                    group = groups[index]
                    span = _span(group)
                    delta = out.tell() - span[0]
                    _copy(src, out, *span)
                    blooms = {}
                    for i, (start, end) in _outside_blooms(group, span).items():
                        blooms[i] = out.tell()
                        _copy(src, out, start, end)
                    row_groups.append(_moved(group, delta, len(row_groups), span, blooms))
                    rows += _get(group, RG_NUM_ROWS)
            counts.append(rows)
        meta = [list(entry) for entry in first.meta]
        _set(meta, FILE_NUM_ROWS, sum(counts))
        _set(meta, FILE_ROW_GROUPS, (STRUCT, row_groups))
        footer = encode_struct(meta)
        out.write(footer + struct.pack("<I", len(footer)) + MAGIC)
    return counts


def _schema_bytes(footer: Footer) -> bytes:
    return encode_struct([[FILE_SCHEMA, LIST, _get(footer.meta, FILE_SCHEMA)]])


def _copy(src, out, start: int, end: int) -> None:
    """Bytes [start, end) of ``src`` appended to ``out`` (in the kernel where it can)."""
    out.flush()
    size = end - start
    try:
        while size:
            done = os.copy_file_range(src.fileno(), out.fileno(), size, start)
            if not done:
                raise OSError("copy_file_range copied nothing")
            start, size = start + done, size - done
        out.seek(0, os.SEEK_END)
    except OSError:
        out.seek(0, os.SEEK_END)
        src.seek(start)
        while size:
            chunk = src.read(min(size, 1 << 24))
            if not chunk:
                raise Unspliceable(f"{Path(src.name).name}: shorter than its footer says") from None
            out.write(chunk)
            size -= len(chunk)


# -- A mart by parts -----------------------------------------------------------------------

# A part's entry in a release's index of a mart's Parquet file, in the file's order:
# [part, rows, rows' hash-sum as text, row groups]. The part is a source file's name (or
# None for rows of no file); rows and hash-sum are its print (expectations.runner.rows_print).
PartIndex = list[list]


def write_by_parts(
    con,
    query: str,
    part: str,
    parts: dict,
    target: Path,
    work: Path,
    before: tuple[Path, PartIndex] | None = None,
) -> PartIndex:
    """Write the rows of ``query`` into Parquet file ``target``, each value of column ``part``
    (``parts``: its print of each value) in row groups of its own, and return the file's
    index. With ``before`` (a published file of the same query and its index), the parts
    whose print it holds are spliced from it and only the others are encoded, by DuckDB
    (``work`` holds the encoded parts until they are spliced)."""
    reused = _reusable(parts, before)
    try:
        return _write(con, query, part, parts, reused, target, work)
    except (Unspliceable, ValueError, TypeError, LookupError, OSError) as error:
        if not reused:
            raise
        # the published file could not be spliced from (a footer not as this module reads
        # it, or a file that changed under it): every part encoded anew
        log.warning("publishing: %s not spliced from the published file (%s); written anew", target.name, error)
        return _write(con, query, part, parts, {}, target, work)


def index_prints(index: PartIndex | None) -> dict | None:
    """Each part's print in a file's index (``part -> (rows, hash-sum)``); None when there is
    no index or it is not one (a hand-edited ``release.json``)."""
    try:
        return {part: (rows, int(hashes)) for part, rows, hashes, _ in index} if index is not None else None
    except (TypeError, ValueError):
        return None


def parts_filter(column: str, parts: list) -> tuple[str, list]:
    """A SQL condition (and its parameters) for the rows whose ``column`` is one of
    ``parts`` (None: the rows of no part)."""
    condition = f"list_contains(?::varchar[], {column}::varchar) or (? and {column} is null)"
    return condition, [[k for k in parts if k is not None], None in parts]


def _reusable(parts: dict, before: tuple[Path, PartIndex] | None) -> dict:
    """The parts the published file holds with the same print: part -> (footer, row groups)
    (none when the file or its index is not as this module writes them)."""
    held = index_prints(before[1]) if before is not None and before[0].is_file() else None
    if held is None:
        return {}
    found, at = {}, 0
    try:
        footer = read_footer(before[0])
        if sum(entry[3] for entry in before[1]) != len(footer.row_groups):
            return {}
        for name, *_, groups in before[1]:
            if name in parts and parts[name] == held[name]:
                found[name] = (footer, range(at, at + groups))
            at += groups
    except (ValueError, TypeError, OSError):
        return {}
    return found


def _part_key(column: str) -> str:
    """A part's folder name while it is encoded: a digest, never the source's text."""
    return f"coalesce(md5({column}), 'null')"


def _write(con, query: str, part: str, parts: dict, reused: dict, target: Path, work: Path) -> PartIndex:
    """``write_by_parts`` with the parts ``reused`` spliced from the published file."""
    order = sorted(parts, key=lambda k: (k is None, k or ""))  # the file's order: rows of no file last
    encode = [k for k in order if k not in reused]
    pieces, folders = work / f"{target.stem}.parts", {}
    if encode:
        work.mkdir(parents=True, exist_ok=True)
        where, params = parts_filter(part, encode) if reused else ("true", [])
        con.execute(
            f"copy (select *, {_part_key(part)} as _part from ({query}) as q where {where}) to {sql_literal(pieces)} "
            "(format parquet, compression zstd, partition_by (_part))",
            params,
        )
        digests = con.execute(f"select k, {_part_key('k')} from unnest(?::varchar[]) as t(k)", [encode]).fetchall()
        folders = {k: pieces / f"_part={digest}" for k, digest in digests}
    sources, names = [], []
    for k in order:
        if k in reused:
            sources.append(reused[k])
            names.append(k)
        else:
            for piece in sorted(folders[k].glob("*.parquet")):
                footer = read_footer(piece)
                sources.append((footer, range(len(footer.row_groups))))
                names.append(k)
    try:
        counts = splice(target, sources)
    finally:
        shutil.rmtree(pieces, ignore_errors=True)
    index: PartIndex = []
    spliced: dict = {}
    for k, (_, chosen), rows in zip(names, sources, counts, strict=True):
        if index and index[-1][0] == k:
            index[-1][3] += len(chosen)
        else:
            index.append([k, parts[k][0], str(parts[k][1]), len(chosen)])
        spliced[k] = spliced.get(k, 0) + rows
    wrong = [k for k in order if spliced[k] != parts[k][0]]
    if wrong:
        raise Unspliceable(f"{target.name}: {len(wrong)} parts spliced with another number of rows than they hold")
    return index
