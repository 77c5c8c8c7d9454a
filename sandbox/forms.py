"""A unit filling its pre-filled report form, as a person would in Excel (for the demo and
the tests): the cells are found by their labels, never by position, and only the cells a
unit may fill are written."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import openpyxl


def _label(value) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).casefold().strip()
    return " ".join(text.split()).split("(")[0].strip(" :")


def _find(ws, label: str):
    for row in ws.iter_rows():
        for cell in row:
            if _label(cell.value) == label:
                return cell
    raise LookupError(f"no cell labelled {label!r}")


def _right_of(ws, cell):
    """The cell a value goes in: the first cell right of the label outside its merged range."""
    column = cell.column + 1
    for merged in ws.merged_cells.ranges:
        if cell.coordinate in merged:
            column = merged.max_col + 1
    return ws.cell(cell.row, column)


def fill_form(
    path: Path,
    figures: dict[str, tuple[int | str | None, int | str | None]],
    report_date: date | str | None,
    preparer: str | None = None,
    phone: str | None = None,
    out: Path | None = None,
) -> Path:
    """Type ``figures`` (indicator code -> (Tử số, Mẫu số)) and the block into a form."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Báo cáo"]
    for label, value in (("ngày báo cáo", report_date), ("người lập biểu", preparer), ("điện thoại", phone)):
        if value is not None:
            target = _right_of(ws, _find(ws, label))
            target.value = value
            if isinstance(value, date):
                target.number_format = "dd/mm/yyyy"
    code_cell = _find(ws, "mã chỉ tiêu")
    header = {_label(c.value): c.column for c in ws[code_cell.row] if c.value}
    numerator_col, denominator_col = header["tử số"], header["mẫu số"]
    rows = {
        str(ws.cell(r, code_cell.column).value).strip(): r
        for r in range(code_cell.row + 1, ws.max_row + 1)
        if ws.cell(r, code_cell.column).value
    }
    for code, (numerator, denominator) in figures.items():
        row = rows[code]
        if numerator is not None:
            ws.cell(row, numerator_col).value = numerator
        if denominator is not None:
            ws.cell(row, denominator_col).value = denominator
    target = out or path
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def reference_figures(path: Path) -> dict[str, int]:
    """The portal's figures the pre-filled form prints beside the declared counts (what a
    unit whose own records agree would type)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb["Báo cáo"]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    header_at = next(i for i, r in enumerate(rows) if any(_label(v) == "mã chỉ tiêu" for v in r))
    header = [_label(v) for v in rows[header_at]]
    code_col = header.index("mã chỉ tiêu")
    ref_col = next(i for i, h in enumerate(header) if h.startswith("số liệu trên hệ thống"))
    return {
        str(r[code_col]): int(r[ref_col])
        for r in rows[header_at + 1 :]
        if code_col < len(r) and r[code_col] and ref_col < len(r) and isinstance(r[ref_col], (int, float))
    }


# What the sample units do with their forms, per period of the sample year (in the order the
# periods fall due) and unit (in code order): the demo shows every status of DOMAIN.md 7.
#   on_time / late (days after the due date) / rejected (a date that does not exist) /
#   missing (no form) / resent (on time, then a corrected form) / mismatch (on time, a
#   declared count 10 % above the portal's)
SCENARIOS = (
    ("on_time", ("late", 5), "rejected", "missing"),
    ("mismatch", "on_time", ("late", 2), "on_time"),
    ("on_time", "resent", "on_time", ("late", 12)),
    ("on_time", "on_time", "on_time", "on_time"),
)


def fill_sample_forms(blanks: list[Path], drop_dir: Path, due_dates: dict[str, date], seed: int = 7) -> list[Path]:
    """Fill the sample units' pre-filled forms (``<blanks>/<period>/<unit>.xlsx``) as
    ``SCENARIOS`` says and drop them in ``drop_dir/<unit>/``, as units would send them."""
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    by_period: dict[str, list[Path]] = {}
    for path in blanks:
        by_period.setdefault(path.parent.name, []).append(path)
    written = []
    for p_index, period in enumerate(sorted(by_period, key=lambda k: due_dates[k])):
        for u_index, blank in enumerate(sorted(by_period[period])):
            scenario = SCENARIOS[p_index % len(SCENARIOS)][u_index % 4]
            kind, days = scenario if isinstance(scenario, tuple) else (scenario, 0)
            if kind == "missing":
                continue
            due = due_dates[period]
            figures: dict[str, tuple] = {}
            for code in ("legal_docs_timely_rate", "work_records_online_rate", "digital_inspection_rate"):
                denominator = rng.randint(4, 60)
                figures[code] = (rng.randint(denominator // 2, denominator), denominator)
            posts = rng.randint(40, 120)
            figures["civil_servant_cut_rate"] = (rng.randint(0, 4), posts)
            for code, value in reference_figures(blank).items():
                figures[code] = (
                    int(value * 1.1) + 3 if kind == "mismatch" and code == "declared_received" else value,
                    None,
                )
            folder = drop_dir / blank.stem
            folder.mkdir(parents=True, exist_ok=True)
            report_date: date | str = (
                due - timedelta(days=rng.randint(1, 6)) if kind != "late" else due + timedelta(days)
            )
            if kind == "rejected":
                report_date = f"31/02/{due.year}"  # not a date: the form is quarantined
            written.append(
                fill_form(
                    blank,
                    figures,
                    report_date,
                    preparer="Nguyễn Văn Mẫu",
                    phone="0912 345 678",
                    out=folder / f"{period}.xlsx",
                )
            )
            if kind == "resent":  # a corrected form two days later, under another name
                figures["legal_docs_timely_rate"] = (
                    figures["legal_docs_timely_rate"][1],
                    figures["legal_docs_timely_rate"][1],
                )
                written.append(
                    fill_form(blank, figures, report_date + timedelta(days=2), out=folder / f"{period}-dieu-chinh.xlsx")
                )
    return written
