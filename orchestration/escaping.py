"""Text from a source written out safely: file names, workbook cells and log lines.

A unit code, a school code, a file name or any value a source sent is data. It never
becomes a path (``file_stem``, ``inside``), a spreadsheet formula (``text_cell``,
``put``) or a forged log line (``quoted``). Every writer of the project goes through these
helpers (docs/decisions.md, "Hostile input"). HTML is escaped with ``html.escape`` where it
is written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from urllib.parse import quote

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

SAFE_STEM = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")
# Leading characters that a spreadsheet may read as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnsafePath(ValueError):
    """A name built from data would land outside its folder."""


def file_stem(code: str) -> str:
    """A file name stem for a code: the code itself when it is a plain code
    (``000.01.20.H12``), else a percent-encoding of it with a short hash (never a path:
    no separator, never ``.`` or ``..``)."""
    if SAFE_STEM.fullmatch(code) and ".." not in code:
        return code
    digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"_{quote(code, safe='')[:60]}-{digest}"


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it stays directly inside ``folder``."""
    path = folder / name
    if path.resolve().parent != folder.resolve() or path.name != name:
        raise UnsafePath(f"refusing to write {quoted(name)} outside {folder}")
    return path


def cell_text(value):
    """A value as a workbook stores it: text without the control characters a workbook
    cannot hold (each becomes U+FFFD); anything else unchanged."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _as_text(cell, value) -> None:
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True  # and it stays text when a person edits the cell


def text_cell(ws, value) -> WriteOnlyCell:
    """A cell of a write-only sheet holding ``value`` as data."""
    value = cell_text(value)
    cell = WriteOnlyCell(ws, value=value)
    _as_text(cell, value)
    return cell


def put(ws, row: int, column: int, value):
    """``ws.cell(row, column, value)`` with ``value`` stored as data, never a formula."""
    value = cell_text(value)
    cell = ws.cell(row, column, value)
    _as_text(cell, value)
    return cell


def xml_cell(ref: str, value, text_style: int) -> str:
    """The sheet XML of a cell of a write-only sheet holding ``value`` as data, as
    ``text_cell`` writes it (an empty string for no value): text inline, without the control
    characters a workbook cannot hold, escaped, never a formula; a text starting like a
    formula gets style ``text_style`` (one with the quote prefix). For rows written by the
    thousand without a cell object each (``orchestration.feedback``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{ref}" t="n"><v>{value}</v></c>'
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    if not text:
        return f'<c r="{ref}" t="inlineStr"/>'  # as openpyxl writes an empty text
    style = f' s="{text_style}"' if text.startswith(FORMULA_START) else ""
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def sql_identifier(name: str) -> str:
    """A SQL identifier of ``name`` (a column or table name), in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quoted(text: str) -> str:
    """A name for a log line: quoted, with line breaks and control characters escaped."""
    return json.dumps(text, ensure_ascii=False)


def sql_literal(text: str | Path) -> str:
    """A SQL string literal of ``text`` (a path, a comment, a name), for the statements that
    take no parameters (``copy ... to``, ``attach``, ``comment on``)."""
    return "'" + str(text).replace("'", "''") + "'"
