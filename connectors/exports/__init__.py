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

from connectors.exports.csv_plan import CsvPlan, detect_encoding, plan_csv
from connectors.exports.files import (
    FILE_KINDS,
    WORK_PREFIX,
    FileRead,
    UnreadableFile,
    file_kind,
    sha256_of,
    work_file,
    work_folder,
)
from connectors.exports.headers import (
    HEADER_SCAN_ROWS,
    as_of_from_titles,
    footer_start,
    is_footer_row,
    match_header,
    normalise_header,
)
from connectors.exports.layouts import LAYOUTS, Field, Layout
from connectors.exports.xlsx import read_xlsx

__all__ = [
    "FILE_KINDS",
    "HEADER_SCAN_ROWS",
    "LAYOUTS",
    "CsvPlan",
    "Field",
    "FileRead",
    "Layout",
    "UnreadableFile",
    "WORK_PREFIX",
    "as_of_from_titles",
    "detect_encoding",
    "file_kind",
    "footer_start",
    "is_footer_row",
    "match_header",
    "normalise_header",
    "plan_csv",
    "read_xlsx",
    "sha256_of",
    "work_file",
    "work_folder",
]
