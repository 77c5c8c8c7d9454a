"""The ``.xlsx`` reader (python-calamine): every sheet carrying a layout's header, as one
Arrow table of the text a person reads in each cell, with the sheet and Excel row of each
row and student codes already pseudonymised. A crafted workbook is read within bounds by
``connectors.workbooks``, which runs this reader in a child process."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa

from connectors.exports.files import FileRead, UnreadableFile
from connectors.exports.headers import HEADER_SCAN_ROWS, as_of_from_titles, footer_start, match_header
from connectors.exports.layouts import Layout
from connectors.personal import pseudonym


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
        for r in range(r0, min(r1, upto, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                if rows[r][c] == "":
                    rows[r][c] = value


def read_xlsx(
    path: Path, layouts: tuple[Layout, ...], key: bytes, label: str | None = None
) -> tuple[pa.Table, FileRead]:
    """Every sheet of the workbook that carries one layout's header, as one Arrow table of
    text columns plus ``_sheet`` and ``_row`` (the Excel row number)."""
    from python_calamine import CalamineWorkbook

    if layouts and layouts[0].reader == "form":
        from connectors.exports.forms import read_form

        return read_form(path, layouts[0], label)
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
