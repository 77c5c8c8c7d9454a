"""Finding an export's header row under title rows, matching its columns on normalised
header text (NFC, case and spacing folded, diacritics kept), the date a snapshot stands for
(in its title rows) and the footer below the data (totals, signatures)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from connectors.exports.layouts import LAYOUTS, Layout

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
