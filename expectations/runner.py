"""Run the suites: batches read from DuckDB (read-only, as Arrow), validated by GX.

GX's SQL data source does not work with DuckDB, so each suite's query is read through
DuckDB's own Arrow reader ``batch_rows`` rows at a time and each batch is validated as a
pandas DataFrame: memory stays bounded on a 20-million-row table. Per-batch results are
added up into one outcome per suite. A suite whose rows, columns and expectations are what
they were at its last validation (``rows_state`` and ``suite_print``: a hash-sum over the
query's rows in DuckDB, far cheaper than validating them) keeps that validation's outcome:
a daily run validates the tables that changed, and within a table the rows past a column's
last validated value (``Suite.since``) or not among the rows last seen pass
(``Suite.seen_rows``). Results are kept in a GX file context; the Data Docs are one
self-contained page rendered from them after every run (``expectations/docs.py``).

Plain library: no Dagster import (the orchestration turns outcomes into asset checks).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import duckdb

from expectations.docs import render_data_docs
from expectations.suite import Suite

log = logging.getLogger(__name__)

EXAMPLES = 5


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int = 0
    examples: list = field(default_factory=list)
    # a ``mostly`` expectation holds over the whole table, not batch by batch (a small last
    # batch must not fail on a share the table meets): its rows counted across batches
    mostly: float | None = None
    counted: int = 0

    def settle(self) -> None:
        if self.mostly is not None and self.counted:
            self.success = self.unexpected_count <= (1 - self.mostly) * self.counted


@dataclass
class SuiteOutcome:
    suite: Suite
    rows: int = 0
    batches: int = 0
    expectations: dict[str, ExpectationOutcome] = field(default_factory=dict)
    error: str | None = None
    reused: bool = False  # the same rows and expectations as the last validation: its outcome
    carried: int = 0  # rows that passed an earlier validation, not validated again (Suite.since)

    @property
    def passed(self) -> bool:
        return self.error is None and all(e.success for e in self.expectations.values())

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations.values() if not e.success]

    def summary(self) -> str:
        if self.error:
            return f"{self.suite.name}: could not run: {self.error}"
        if self.passed:
            earlier = f"; {self.carried} of them passed an earlier validation" if self.carried else ""
            return f"{self.suite.name}: passed ({self.rows} rows{earlier})"
        parts = [
            f"{e.expectation}({e.column or ''}): {e.unexpected_count} rows, e.g. {e.examples[:3]}" for e in self.failed
        ]
        return f"{self.suite.name}: FAILED on {self.rows} rows: " + "; ".join(parts)


@functools.cache  # once a process
def load_gx_in_background() -> threading.Thread:
    """Start importing Great Expectations in a thread of its own, once a process, and return
    that thread (join it before using GX). Its import is about 2.5 s of Python: a process
    that will validate later and waits on something else first (the pipeline, while dbt
    builds in its own process) has it loaded by then instead of paying it in the quality
    step. Not a daemon: a run that ends before the import does waits for it, rather than
    interpreter shutdown stopping an import halfway."""
    thread = threading.Thread(target=importlib.import_module, args=("great_expectations",), name="gx-import")
    thread.start()
    return thread


def _context(gx_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(gx_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _key(cfg) -> str:
    kwargs = cfg.kwargs
    column = kwargs.get("column") or kwargs.get("column_A") or ",".join(kwargs.get("column_list") or [])
    return f"{cfg.type}:{column}"


def run_suites(
    warehouse: Path | str,
    suites: Sequence[Suite],
    gx_dir: Path | str,
    batch_rows: int = 500_000,
    memory_limit: str = "2GB",
    threads: int = 2,
) -> list[SuiteOutcome]:
    """Validate every suite against the warehouse (opened read-only); build the Data Docs."""
    gx_dir = Path(gx_dir)
    # GX is imported (about 2.5 s of Python) while DuckDB, which lets go of the GIL, takes
    # every suite's input print: the two share the run's start instead of taking turns (when
    # the pipeline has not already started it while dbt built).
    loading = load_gx_in_background()
    # Data Docs show the latest validations only: earlier runs' results are dropped first.
    for old in (gx_dir / "gx" / "uncommitted" / "validations", data_docs_dir(gx_dir)):
        shutil.rmtree(old, ignore_errors=True)
    outcomes = []
    before, states = _validated(gx_dir), {}
    con = duckdb.connect(str(warehouse), read_only=True, config={"memory_limit": memory_limit, "threads": threads})
    con.execute("set enable_progress_bar = false")  # a long input print would draw bars into the run's log
    try:
        found = {suite.name: _rows_state(con, suite, before.get(suite.name)) for suite in suites}
        loading.join()
        import great_expectations as gx

        context = _context(gx_dir)
        source = context.data_sources.add_or_update_pandas("cchc_warehouse")
        for suite in suites:
            outcome = SuiteOutcome(suite)
            outcomes.append(outcome)
            try:
                suite.check()
                last = before.get(suite.name)
                state, until = found[suite.name]
                if state is not None:  # what the suite means (its query ran: so does its `limit 0`)
                    state["suite"] = suite_print(con, suite)
                    states[suite.name] = state
                if _reuse(outcome, last, state):
                    if suite.seen_rows:  # the same rows: the hashes kept stay the ones to skip
                        state["seen"] = last.get("seen")
                    log.info("%s (rows unchanged since they were last validated)", outcome.summary())
                    continue
                query, past = suite.query, _validated_through(suite, last, state, until)
                seen, params = _seen_rows(con, gx_dir, suite, last, state), None
                if past is not None:  # only the rows since the last passed validation
                    query = f"select * from ({suite.query}) as q where q.{suite.since} > {past}"
                elif seen is not None:  # only the rows the last passed validation did not see
                    query = f"select * from ({suite.query}) as q where hash(q) not in (select h from read_parquet(?))"
                    params = [str(seen)]
                # the suite with its expectations, written once (adding them one by one to a
                # saved suite writes it again for each, reading GX's configuration each time)
                gx_suite = context.suites.add_or_update(
                    gx.ExpectationSuite(name=suite.name, expectations=list(suite.expectations()))
                )
                try:
                    asset = source.get_asset(suite.name)
                except LookupError:
                    asset = source.add_dataframe_asset(suite.name)
                batch_def = next(
                    (b for b in asset.batch_definitions if b.name == "batch"), None
                ) or asset.add_batch_definition_whole_dataframe("batch")
                validation = context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=suite.name, data=batch_def, suite=gx_suite)
                )
                for frame in _batches(con, query, batch_rows, params):
                    _validate(validation, frame, outcome)
                if past is not None:
                    _carry(outcome, last["expectations"])
                if past is not None or seen is not None:
                    outcome.carried, outcome.rows = state["rows_print"][0] - outcome.rows, state["rows_print"][0]
                for checked in outcome.expectations.values():
                    checked.settle()
                if suite.seen_rows and state is not None:
                    state["seen"] = _keep_seen(con, gx_dir, suite, outcome.passed)
            except Exception as exc:  # a suite that cannot run is a failed check, with its reason
                log.exception("suite %s could not run", suite.name)
                outcome.error = f"{type(exc).__name__}: {exc}"
            log.info(outcome.summary())
    finally:
        con.close()
    _remember(gx_dir, before, outcomes, states)
    # the Data Docs: one self-contained page (GX's own site needs CDNs: expectations/docs.py)
    render_data_docs(outcomes, data_docs_dir(gx_dir) / "index.html", key=_key)
    return outcomes


VALIDATED = "validated.json"  # under the quality folder: each suite's input state and outcome
SEEN = "seen_rows"  # under the quality folder: a ``seen_rows`` suite's row hashes, a Parquet file a suite


def _rows_state(con: duckdb.DuckDBPyConnection, suite: Suite, last: dict | None) -> tuple[dict | None, list | None]:
    """``rows_state`` given the suite's last validation (its ``through``), or (None, None) when
    the query's rows make no print (e.g. no struct): the suite is then validated in full."""
    through = last.get("through") if isinstance(last, dict) else None
    try:
        return rows_state(con, suite, through if isinstance(through, str) else None)
    except duckdb.Error as exc:
        log.info("suite %s: no input print (%s)", suite.name, str(exc).splitlines()[0])
        return None, None


def rows_state(con: duckdb.DuckDBPyConnection, suite: Suite, through: str | None = None) -> tuple[dict, list | None]:
    """What a suite's validation depends on in its rows, computed in DuckDB (far cheaper than
    validating): the query's rows (``rows_print``) and, for a suite validated ``since`` a
    column, that column's newest value (a SQL literal of its type). Beside it, given
    ``through`` (the last validation's newest value) for such a suite, the print of the rows
    up to that value, else None: all in one read of the query's rows. What the suite means
    (``suite_print``) completes its input state."""
    columns, since = [PRINT_COLUMNS], suite.since
    if since is not None:
        columns.append(f"cast(max(q.{since}) as varchar), typeof(max(q.{since}))")
        if through is not None:
            columns.append(print_columns(f"q.{since} <= {through}"))
    found = con.execute(f"select {', '.join(columns)} from ({suite.query}) as q").fetchone()
    state = {"rows_print": _jsonable(found[:2])}
    if since is not None:
        value, kind = found[2:4]
        state["through"] = None if value is None else f"cast('{value.replace(chr(39), chr(39) * 2)}' as {kind})"
    return state, (_jsonable(found[4:6]) if len(found) > 4 else None)


def print_columns(where: str | None = None) -> str:
    """A row set's print, over rows named `q`: its row count and the sum of its rows' hashes
    (order does not matter): equal prints, the same rows. With ``where``, of the rows that
    meet it."""
    if where is None:
        return "count(*), coalesce(sum(hash(q)), 0)"
    return f"count(*) filter (where {where}), coalesce(sum(hash(q)) filter (where {where}), 0)"


PRINT_COLUMNS = print_columns()


def rows_print(con: duckdb.DuckDBPyConnection, query: str) -> tuple[int, int]:
    """A query's print (``PRINT_COLUMNS``): the checks' input state and the publication's
    fingerprints."""
    return con.execute(f"select {PRINT_COLUMNS} from ({query}) as q").fetchone()


def _jsonable(rows: tuple[int, int]) -> list:
    return [rows[0], str(rows[1])]  # the hash-sum as text: JSON readers lose integers past 53 bits


def suite_print(con: duckdb.DuckDBPyConnection, suite: Suite) -> str:
    """What a suite's validation means, without its rows, as one hash: GX's version, the
    query, the expectations, the columns and types of the query's rows."""
    import great_expectations as gx

    columns = [(c[0], str(c[1])) for c in con.execute(f"select * from ({suite.query}) limit 0").description]
    config = [e.configuration.to_json_dict() for e in suite.expectations()]
    text = json.dumps([gx.__version__, suite.query, config, columns], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _validated(gx_dir: Path) -> dict:
    try:
        found = json.loads((gx_dir / VALIDATED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _reuse(outcome: SuiteOutcome, last: dict | None, state: dict | None) -> bool:
    """Take the last validation's outcome when it meant what the suite means and read the
    same rows."""
    if state is None or not isinstance(last, dict) or any(last.get(k) != state[k] for k in ("suite", "rows_print")):
        return False
    try:
        expectations = {k: ExpectationOutcome(**v) for k, v in last["expectations"].items()}
        outcome.rows, outcome.batches = int(last["rows"]), int(last["batches"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    outcome.expectations, outcome.reused = expectations, True
    return True


def _passed_as_now(last: dict | None, state: dict | None) -> bool:
    """The last validation passed and meant what the suite means now: the rows it passed
    still pass (what ``since`` and ``seen_rows`` build on)."""
    if state is None or not isinstance(last, dict) or last.get("suite") != state["suite"]:
        return False
    expectations = last.get("expectations")
    if not isinstance(expectations, dict) or not expectations:
        return False
    return all(isinstance(e, dict) and e.get("success") is True for e in expectations.values())


def _validated_through(suite: Suite, last: dict | None, state: dict | None, until: list | None) -> str | None:
    """For a suite validated ``since`` a column: the newest value of its last validation when
    that validation passed as the suite means now and its rows are still there unchanged
    (``until``, the print of the rows up to that value, is what all its rows printed); else
    None: every row is validated."""
    if suite.since is None or not _passed_as_now(last, state) or not isinstance(last.get("through"), str):
        return None
    return last["through"] if until is not None and until == last.get("rows_print") else None


def _seen_path(gx_dir: Path, suite: Suite) -> Path:
    return gx_dir / SEEN / f"{suite.name}.parquet"


def _seen_print(con: duckdb.DuckDBPyConnection, path: Path) -> list | None:
    """The kept hashes' count and sum (to find the file its validation recorded), or None."""
    try:
        found = con.execute("select count(*), sum(h::hugeint) from read_parquet(?)", [str(path)]).fetchone()
    except duckdb.Error:
        return None
    return [found[0], str(found[1])]


def _seen_rows(
    con: duckdb.DuckDBPyConnection, gx_dir: Path, suite: Suite, last: dict | None, state: dict | None
) -> Path | None:
    """For a ``seen_rows`` suite: the file of its last validation's row hashes when that
    validation passed as the suite means now and recorded the file as it is; else None:
    every row is validated."""
    if not suite.seen_rows or not _passed_as_now(last, state) or last.get("seen") is None:
        return None
    path = _seen_path(gx_dir, suite)
    return path if _seen_print(con, path) == last["seen"] else None


def _keep_seen(con: duckdb.DuckDBPyConnection, gx_dir: Path, suite: Suite, passed: bool) -> list | None:
    """After a ``seen_rows`` suite's validation: the hashes of all its rows when it passed
    (written aside, then moved in place), none when it failed; the kept file's print."""
    path = _seen_path(gx_dir, suite)
    path.unlink(missing_ok=True)
    if not passed:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.part")
    con.sql(f"select distinct hash(q) as h from ({suite.query}) as q").write_parquet(str(partial))
    partial.replace(path)
    return _seen_print(con, path)


def _carry(outcome: SuiteOutcome, last: dict) -> None:
    """Add the last validation's counts to those of the rows validated since: a row check's
    unexpected rows, and for a ``mostly`` check the rows it counted, so its share is the
    whole table's. (The last validation passed: its checks succeeded.)"""
    for key, before in last.items():
        seen = outcome.expectations.get(key)
        if seen is None or not isinstance(before, dict):
            continue
        seen.unexpected_count += int(before.get("unexpected_count") or 0)
        seen.counted += int(before.get("counted") or 0)
        seen.examples += list(before.get("examples") or [])[: EXAMPLES - len(seen.examples)]


def _remember(gx_dir: Path, before: dict, outcomes: list[SuiteOutcome], states: dict[str, dict]) -> None:
    """Each suite's input state and outcome, for the next run (a suite that could not run is
    not remembered: it runs again; a suite not run this time keeps its entry)."""
    ran = {o.suite.name for o in outcomes}
    kept = {name: last for name, last in before.items() if name not in ran}
    kept |= {
        o.suite.name: {
            **states[o.suite.name],
            "rows": o.rows,
            "batches": o.batches,
            "expectations": {k: asdict(e) for k, e in o.expectations.items()},
        }
        for o in outcomes
        if o.error is None and o.suite.name in states
    }
    gx_dir.mkdir(parents=True, exist_ok=True)
    partial = gx_dir / f"{VALIDATED}.part"
    partial.write_text(json.dumps(kept, default=str), encoding="utf-8")
    partial.replace(gx_dir / VALIDATED)


def _batches(con: duckdb.DuckDBPyConnection, query: str, batch_rows: int, params: list | None = None) -> Iterable:
    reader = con.execute(query, params).to_arrow_reader(batch_rows)
    empty = True
    for batch in reader:
        empty = False
        yield batch.to_pandas()
    if empty:  # an empty table is still validated (row-count expectations need it)
        yield con.execute(f"select * from ({query}) limit 0", params).df()


def _validate(validation, frame, outcome: SuiteOutcome) -> None:
    result = validation.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES},
    )
    outcome.rows += len(frame)
    outcome.batches += 1
    for r in result.results:
        key = _key(r.expectation_config)
        seen = outcome.expectations.setdefault(
            key, ExpectationOutcome(r.expectation_config.type, key.split(":", 1)[1] or None, True)
        )
        info = r.result or {}
        seen.success = seen.success and bool(r.success)
        seen.unexpected_count += int(info.get("unexpected_count") or 0)
        mostly = r.expectation_config.kwargs.get("mostly")
        if mostly is not None and "element_count" in info:
            # GX's share: of the non-missing values, except where missing is what is counted
            missing = (
                0 if r.expectation_config.type == "expect_column_values_to_not_be_null" else info.get("missing_count")
            )
            seen.mostly = float(mostly)
            seen.counted += int(info["element_count"]) - int(missing or 0)
        if not r.success and len(seen.examples) < EXAMPLES:
            examples = info.get("partial_unexpected_list") or (
                [info.get("observed_value")] if "observed_value" in info else []
            )
            seen.examples += [_plain(v) for v in examples][: EXAMPLES - len(seen.examples)]


def _plain(value):
    """Example values as plain Python (GX hands back numpy scalars, NaN/NaT and tuples)."""
    import pandas as pd

    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if not isinstance(value, (list, tuple, dict)) and pd.isna(value):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "item"):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def data_docs_dir(gx_dir: Path | str) -> Path:
    return Path(gx_dir) / "data_docs"
