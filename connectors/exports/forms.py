"""The reader of the units' periodic report forms (DOMAIN.md 7): one ``.xlsx`` per unit and
reporting period, sheet ``Báo cáo``.

A form is not a table with a header on top: it is a *block* of labels, each followed on
its row by its value in the next non-empty cell to the right (``Mã đơn vị``, ``Kỳ báo
cáo``, ``Ngày báo cáo``), and below it a *table* whose header row holds ``Mã chỉ tiêu``,
``Tử số`` and ``Mẫu số``. Labels and headers are found by their text as the other readers
find headers (NFC, case and spacing folded, merged cells, any column; ``headers``).

What lands (the ``forms`` layout of ``LAYOUTS``), one row per record:

- one row per block label, with ``label`` (the field: ``ma_don_vi``, ``ky_bao_cao``,
  ``ngay_bao_cao``) and ``value`` as typed, at the label's row (a label that is missing
  lands with no value, at the table's header row, so its absence is quarantined there);
- one row per filled table row (a code and at least one number; a row with no number is
  not reported and is counted as blank), with ``ma_chi_tieu``, ``ten_chi_tieu``, ``tu_so``
  and ``mau_so`` as typed;

and every row carries the block's three values, so that dbt judges a row with its form.

The preparer's name and phone (``Người lập biểu``, ``Điện thoại``) are personal data
(DOMAIN.md 6): they are never read, so they cannot land. ``Ghi chú`` is free text where a
name or a phone number may be written: it is not read either.

A file with no ``Báo cáo`` sheet or no table header is a rejected file; what could be read
of its block (unit and period) goes with the rejection, so the unit's submission is known
as rejected rather than missing.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from connectors.exports.files import FileRead, UnreadableFile
from connectors.exports.headers import HEADER_SCAN_ROWS, footer_start, match_header, normalise_header
from connectors.exports.layouts import Layout
from connectors.exports.xlsx import _fill_merged, _xlsx_text

FORM_SHEET = "báo cáo"
BLOCK_FIELDS = ("ma_don_vi", "ky_bao_cao", "ngay_bao_cao")
TABLE_FIELDS = ("ma_chi_tieu", "ten_chi_tieu", "tu_so", "mau_so")
# Labels of personal data on the form (DOMAIN.md 6): never read, listed for the tests.
PERSONAL_LABELS = ("người lập biểu", "điện thoại")


def _merged_owner(merged) -> dict[tuple[int, int], tuple[int, int]]:
    """Each cell of a merged range -> the range's top-left cell."""
    owner = {}
    for (r0, c0), (r1, c1) in merged or []:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 10_000:
            continue  # a form's merged cells are a few columns wide; a huge range is not a label
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                owner[(r, c)] = (r0, c0)
    return owner


def _block(layout: Layout, rows: list[list], upto: int, owner) -> dict[str, tuple[str | None, int]]:
    """The block's labels above the table: field -> (value as typed, 0-based row index)."""
    wanted = {normalise_header(a): f.name for f in layout.fields if f.name in BLOCK_FIELDS for a in f.aliases}
    found: dict[str, tuple[str | None, int]] = {}
    for r, row in enumerate(rows[:upto]):
        for c, cell in enumerate(row):
            text = _xlsx_text(cell)
            name = wanted.get(normalise_header(text)) if text else None
            if name is None or name in found:
                continue
            value = None
            home = owner.get((r, c), (r, c))
            for k in range(c + 1, len(row)):
                if owner.get((r, k), (r, k)) == home:
                    continue  # the label's own merged cells
                candidate = _xlsx_text(row[k])
                if candidate is not None and candidate.strip():
                    value = candidate.strip()
                    break
            found[name] = (value, r)
    return found


def read_form(path: Path, layout: Layout, label: str | None = None) -> tuple[pa.Table, FileRead]:
    """A filled report form as the ``forms`` layout's rows (see the module's docstring)."""
    from python_calamine import CalamineWorkbook

    label = label or path.name
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise UnreadableFile("file_unreadable", f"không mở được tệp Excel: {exc}") from exc
    sheet_name = next((n for n in workbook.sheet_names if normalise_header(n) == FORM_SHEET), None)
    if sheet_name is None:
        raise UnreadableFile(
            "form_sheet_missing",
            f"tệp {label} không có trang 'Báo cáo' của biểu mẫu báo cáo CCHC "
            f"(các trang có: {', '.join(workbook.sheet_names[:10]) or 'không có'})",
        )
    sheet = workbook.get_sheet_by_name(sheet_name)
    rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
    owner = _merged_owner(sheet.merged_cell_ranges)
    head = [list(r) for r in rows[:HEADER_SCAN_ROWS]]
    _fill_merged(head, sheet.merged_cell_ranges, HEADER_SCAN_ROWS)
    match = match_header(head, (layout,))
    header_at = match.row_index if match is not None and not match.missing else None
    block = _block(layout, rows, header_at if header_at is not None else len(rows), owner)
    if header_at is None:
        raise UnreadableFile(
            "form_table_missing",
            f"tệp {label}: trang 'Báo cáo' không có dòng tiêu đề của bảng chỉ tiêu (cần các cột Mã chỉ tiêu, Tử số, Mẫu số)",
            about={name: value for name, (value, _) in block.items() if name in ("ma_don_vi", "ky_bao_cao")},
        )
    read = FileRead(layout, sheets=[sheet_name], header_row=header_at + 1)
    columns: dict[str, list] = {c: [] for c in [*layout.columns, "_sheet", "_row", "_row_seq"]}
    block_values = {name: block.get(name, (None, 0))[0] for name in BLOCK_FIELDS}

    def land(row_number: int, own: dict) -> None:
        for name in layout.columns:
            columns[name].append(own.get(name, block_values.get(name)))
        columns["_sheet"].append(sheet_name)
        columns["_row"].append(row_number)
        read.rows_read += 1
        columns["_row_seq"].append(read.rows_read)

    for name in BLOCK_FIELDS:
        value, r = block.get(name, (None, header_at))
        land(r + 1, {"label": name, "value": value})

    body = rows[header_at + 1 :]
    at = match.columns
    end = footer_start(body, at["ma_chi_tieu"])
    if end is not None:
        read.rows_footer += len(body) - end
        body = body[:end]
    for offset, row in enumerate(body):
        values = {
            name: (_xlsx_text(row[at[name]]) if name in at and at[name] < len(row) else None) for name in TABLE_FIELDS
        }
        values = {k: (v.strip() if v is not None and v.strip() else None) for k, v in values.items()}
        if values["tu_so"] is None and values["mau_so"] is None:
            read.rows_blank += 1  # an empty row, or an indicator not reported
            continue
        land(header_at + 2 + offset, values)
    schema = pa.schema(
        [(c, pa.string()) for c in layout.columns]
        + [("_sheet", pa.string()), ("_row", pa.int64()), ("_row_seq", pa.int64())]
    )
    return pa.table(columns, schema=schema), read
