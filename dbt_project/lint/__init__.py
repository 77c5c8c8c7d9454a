"""What SQLFluff's jinja templater lacks of dbt, for linting the models (.sqlfluff):

- ``adapter``: a dispatched macro renders as a plain SQL call of its name, so a model lints
  as the SQL written around it; relations have no columns;
- ``var``: the project's vars, the file sources from their one declaration
  (``connectors.exports.LAYOUTS``, as every dbt command of the project passes them);
- ``load_relation``: an incremental model's existing table, which has the bookkeeping
  columns (``macros/incremental.sql``), so the incremental branches lint too (SQLFluff's
  ``is_incremental()`` is true).
"""

import sys
from pathlib import Path
from datetime import datetime, timezone
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from connectors.exports import LAYOUTS  # noqa: E402


def _arg(value) -> str:
    text = str(value)
    return f"'{text}'" if text.isupper() else text  # a kind such as ARRAY is a value, not a keyword


def _dispatch(name, package=None):
    if name == "version_on":  # a join (DuckDB's ASOF join): lint it as a plain left join
        return lambda relation, alias, *rest: f"left join {relation} as {alias} on true"

    def call(*args, **kwargs):
        return f"{name}({', '.join(_arg(a) for a in args)})"

    return call


run_started_at = datetime(2024, 1, 1, tzinfo=timezone.utc)  # dbt's: when the run started

_EXISTING = SimpleNamespace(name="existing incremental table")
_BOOKKEEPING = [SimpleNamespace(name=n) for n in ("_batch_seq", "_row_seq", "_checked_at", "_school_list_digest", "_catalogue_digest")]


def load_relation(relation):
    return _EXISTING


adapter = SimpleNamespace(
    dispatch=_dispatch,
    quote=lambda name: f'"{name}"',
    get_columns_in_relation=lambda r: _BOOKKEEPING if r is _EXISTING else [],
)

_VARS = {
    "file_sources": [layout.dbt_registry() for layout in LAYOUTS],
    "unit_quarantine_threshold": 0.05,
    "source_quarantine_threshold": 0.20,
}


def var(name, default=None):
    return _VARS.get(name, default)
