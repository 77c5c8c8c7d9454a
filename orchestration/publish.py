"""Publication: a new release folder, then one atomic switch of the ``current`` link.

Layout under ``$CCHC_PUBLISH_DIR``::

    releases/<release_id>/warehouse.duckdb     the marts, schema ``marts``
    releases/<release_id>/parquet/<mart>.parquet
    releases/<release_id>/feedback/<unit>.xlsx  each unit's quarantined and warned records
    releases/<release_id>/data_docs/index.html  Great Expectations Data Docs of this run
    releases/<release_id>/dbt_docs/index.html   dbt documentation of the models (one file)
    releases/<release_id>/reports/<period>.xlsx  the report of each official reporting period, and .html
    releases/<release_id>/forms/<period>/<unit>.xlsx  the units' pre-filled report forms (DOMAIN.md 7)
    releases/<release_id>/release.json         what was published, when, row counts
    current  -> releases/<release_id>          switched with one rename (atomic)
    previous -> releases/<release_id before>   kept for rollback
    warehouse.duckdb, parquet, feedback, data_docs, dbt_docs, reports, forms -> current/...

Readers see the old or the new release, never a half: a release is complete before
``current`` points at it, and a reader holding the old file open keeps reading it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from connectors.portal import safe_url
from expectations.runner import PRINT_COLUMNS, rows_print
from orchestration.escaping import sql_identifier, sql_literal
from orchestration.forms import form_periods, write_forms
from orchestration.parquet_parts import PartIndex, index_prints, parts_filter, write_by_parts
from orchestration.reports import header_from, report_periods, write_report
from orchestration.runlog import vietnam_time
from orchestration.settings import Settings
from orchestration.warehouse import connect
from orchestration.workers import Worker

log = logging.getLogger(__name__)

STABLE_LINKS = {
    name: f"current/{name}"
    for name in ("warehouse.duckdb", "parquet", "feedback", "data_docs", "dbt_docs", "reports", "forms")
}
KEEP_RELEASES = 3


@dataclass(frozen=True)
class Release:
    release_id: str
    path: Path
    tables: dict[str, int]


def _swap_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` with one rename (atomic on POSIX)."""
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}")
    os.symlink(target, tmp)
    os.replace(tmp, link)


BOOKKEEPING = "_"  # a mart column whose name starts so is the incremental build's (dbt_project/macros/incremental.sql): not published


def published_marts(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'marts' "
        "and table_type = 'BASE TABLE' order by table_name",
        [catalog],
    ).fetchall()
    return [r[0] for r in rows]


def copy_comments(con: duckdb.DuckDBPyConnection, catalog: str, tables: list[str]) -> int:
    """Carry the marts' descriptions (dbt's persisted docs: Vietnamese term and English gloss)
    from ``catalog`` into the release, as ``COMMENT ON``: ``create table as`` drops them, a
    mart kept from the current release holds its own. Only the comments the release does not
    already hold are set; returns how many."""
    copied = 0
    for table, comment in con.execute(
        "select w.table_name, w.comment from duckdb_tables() as w "
        "left join duckdb_tables() as r on r.database_name = current_database() and r.schema_name = 'marts' "
        "and r.table_name = w.table_name "
        "where w.database_name = ? and w.schema_name = 'marts' and w.comment is not null "
        "and r.comment is distinct from w.comment",
        [catalog],
    ).fetchall():
        if table in tables:
            con.execute(f"comment on table marts.{sql_identifier(table)} is {sql_literal(comment)}")
            copied += 1
    for table, column, comment in con.execute(
        "select w.table_name, w.column_name, w.comment from duckdb_columns() as w "
        "left join duckdb_columns() as r on r.database_name = current_database() and r.schema_name = 'marts' "
        "and r.table_name = w.table_name and r.column_name = w.column_name "
        "where w.database_name = ? and w.schema_name = 'marts' and w.comment is not null "
        "and r.comment is distinct from w.comment",
        [catalog],
    ).fetchall():
        if table in tables and not column.startswith(BOOKKEEPING):
            con.execute(
                f"comment on column marts.{sql_identifier(table)}.{sql_identifier(column)} is {sql_literal(comment)}"
            )
            copied += 1
    return copied


def publish(
    settings: Settings, release_id: str | None = None, data_docs: Path | None = None, dbt_docs: Path | None = None
) -> Release:
    """Write a complete release (marts, Parquet, unit feedback, pre-filled forms, Data Docs,
    dbt docs, reports), then switch to it."""
    publish_dir = Path(settings.publish_dir)
    releases = publish_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    release_id = release_id or new_release_id()
    staging = releases / f".{release_id}.partial"
    final = releases / release_id
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "parquet").mkdir(parents=True)

    current = _current_release(publish_dir)
    # The units' workbooks and half the reports are written by workers, Python processes of
    # their own (orchestration/workers.py), beside this process's DuckDB work instead of
    # taking turns with it under one GIL. The workbooks are written from the working
    # warehouse's marts (read-only: the rows the release's marts are brought to, each
    # checked by its print) from the start; the reports once the release's warehouse is
    # written and closed, half by a worker started now (its imports done by then), half here.
    feedback_worker, reports_worker = Worker("feedback"), Worker("reports")
    try:
        feedback_worker.send(
            {
                "warehouse": str(Path(settings.warehouse).resolve()),
                "target": str(staging / "feedback"),
                "department": settings.department_name,
                "parent_body": settings.parent_body,
                "before": str(publish_dir / "current" / "feedback"),
                "prints_before": _prints(current, "feedback_prints"),
                "memory_limit": settings.duckdb_memory_limit,
            }
        )
        marts = _release_warehouse(settings, staging, release_id, current)
        published, header = staging / "warehouse.duckdb", header_from(settings)
        reports_worker.send(
            {
                "published": str(published),
                "target": str(staging / "reports"),
                "periods": marts.periods[1::2],
                "header": asdict(header),
            }
        )
        for period_key in marts.periods[0::2]:
            write_report(published, period_key, staging / "reports", header)
        feedback = feedback_worker.result()
        reports_worker.result()
    except BaseException:
        for worker in (feedback_worker, reports_worker):
            worker.stop()
        raise
    log.info(
        "publishing: %d unit feedback workbooks written, %d unchanged ones linked",
        len(feedback["paths"]) - feedback["kept"],
        feedback["kept"],
    )
    if data_docs is not None and (data_docs / "index.html").exists():
        shutil.copytree(data_docs, staging / "data_docs")
    if dbt_docs is not None and dbt_docs.exists():
        (staging / "dbt_docs").mkdir()
        shutil.copyfile(dbt_docs, staging / "dbt_docs" / "index.html")
    _write_release_json(
        staging,
        {
            "release_id": release_id,
            "published_at": vietnam_time().isoformat(timespec="seconds"),
            "department": settings.department_name,
            "agency_code": settings.agency_code,
            "portal_base_url": safe_url(settings.portal_url),
            "tables": marts.tables,
            "fingerprints": marts.fingerprints,
            "mart_updates": marts.updates,  # one of UPDATES: how each mart came to this release
            "parquet_parts": marts.parquet_parts,  # the row groups of each source file's rows in a fact's Parquet file
            "feedback_units": sorted(feedback["paths"]),
            "feedback_prints": feedback["prints"],
            "forms": marts.forms,
        },
    )
    os.rename(staging, final)
    _switch_to(publish_dir, release_id)
    return Release(release_id, final, marts.tables)


@dataclass(frozen=True)
class _Marts:
    """What ``_release_warehouse`` wrote, for ``release.json``."""

    tables: dict[str, int]  # mart -> rows
    fingerprints: dict[str, str]
    updates: dict[str, str]  # mart -> one of UPDATES
    parquet_parts: dict
    forms: int  # pre-filled forms written
    periods: list[str]  # the official periods a report is written for


def _release_warehouse(settings: Settings, staging: Path, release_id: str, current: dict) -> _Marts:
    """The release's warehouse (its marts brought up to date from the working warehouse's,
    starting from the current release's file), its Parquet files and its pre-filled forms."""
    tables: dict[str, int] = {}
    fingerprints: dict[str, str] = {}
    publish_dir = Path(settings.publish_dir)
    before = _prints(current, "fingerprints")
    if before and (publish_dir / "current" / "warehouse.duckdb").is_file():
        # the current release's marts as the start: a mart that did not change stays as it is
        shutil.copyfile((publish_dir / "current" / "warehouse.duckdb").resolve(), staging / "warehouse.duckdb")
    con = connect(
        staging / "warehouse.duckdb", memory_limit=settings.duckdb_memory_limit, threads=settings.duckdb_threads
    )
    parquet = None
    try:
        release = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach {sql_literal(Path(settings.warehouse).resolve())} as working (read_only)")
        con.execute("create schema if not exists marts")
        names = published_marts(con, "working")
        for gone in {*published_marts(con, release), "release_info"} - set(names):
            con.execute(f"drop table if exists marts.{sql_identifier(gone)}")
        printed = {name: mart_print(con, name) for name in names}
        parts_before = current.get("parquet_parts", {})
        linked, to_write, parquet_parts = [], [], {}
        for name in names:
            target = staging / "parquet" / f"{name}.parquet"
            unchanged = publish_dir / "current" / "parquet" / f"{name}.parquet"
            if before.get(name) == printed[name].fingerprint and unchanged.is_file():
                os.link(unchanged.resolve(), target)  # the same rows: the published file, linked
                linked.append(name)
                if name in parts_before:
                    parquet_parts[name] = parts_before[name]
            else:
                published = (unchanged, parts_before[name]) if name in parts_before else None
                to_write.append((name, target, published))
        # The changed marts' Parquet files are written from the working warehouse by DuckDB
        # (its own threads, the GIL released) while this thread brings the release's marts up
        # to date; the largest first, as it sets the end.
        to_write.sort(key=lambda mart: -printed[mart[0]].rows)
        parquet = _Background(_write_parquet, con.cursor(), to_write, printed, staging / ".parquet-parts")
        log.info("publishing: %d Parquet files to write, %d unchanged ones linked", len(to_write), len(linked))
        updates: dict[str, str] = {}
        for name in names:
            fingerprints[name], tables[name], updates[name] = release_mart(
                con, release, name, before.get(name), printed[name], index_prints(parts_before.get(name))
            )
        log.info(
            "publishing: marts %s",
            ", ".join(f"{list(updates.values()).count(how)} {how}" for how in UPDATES),
        )
        copy_comments(con, "working", list(tables))
        # Which publication a reader is looking at: BI tools and analysts can select it.
        con.execute(
            "create table marts.release_info as select ? as release_id, ?::timestamp as published_at, "
            "? as department, ? as agency_code, ? as portal_base_url",
            [
                release_id,
                vietnam_time().replace(tzinfo=None, microsecond=0),  # Viet Nam time, as every time published
                settings.department_name,
                settings.agency_code,
                safe_url(settings.portal_url),
            ],
        )
        forms = write_forms(con, staging / "forms", settings.department_name, form_periods(con))
        periods = report_periods(con)
        parquet_parts.update(parquet.join())
        con.execute("detach working")
        con.execute("checkpoint")
    finally:
        if parquet is not None:
            parquet.thread.join()  # never close the release under a writer of its own
        con.close()
    return _Marts(tables, fingerprints, updates, parquet_parts, len(forms), periods)


UPDATES = ("kept", "by parts", "by rows", "written")  # how a mart comes into a release (release_mart)

# A mart with this column (a row's source file) is brought up to date in the release file by
# file: a daily run adds or changes a few files' rows of a fact of tens of millions.
PART = "source_file"


@dataclass(frozen=True)
class MartPrint:
    """What a working mart holds, in a line (``fingerprint``: its published columns and types,
    its row count and the sum of its rows' hashes; order does not matter, equal fingerprints
    are the same rows), its row count and, for a mart with a ``PART`` column, each source
    file's print."""

    columns: list[tuple[str, str]]
    fingerprint: str
    rows: int
    parts: dict | None


def _working_mart(name: str) -> str:
    """The working warehouse's mart ``name`` as published: without its bookkeeping columns."""
    return (
        f"select columns(c -> not starts_with(c, {sql_literal(BOOKKEEPING)})) from working.marts.{sql_identifier(name)}"
    )


def mart_print(con: duckdb.DuckDBPyConnection, name: str) -> MartPrint:
    """The print of the working warehouse's mart ``name`` (attached as ``working``)."""
    columns = _published_columns(con, "working", name)
    parts = _part_prints(con, _working_mart(name)) if PART in dict(columns) else None
    if parts is not None:
        rows, hashes = sum(n for n, _ in parts.values()), sum(h for _, h in parts.values())
    else:
        rows, hashes = rows_print(con, _working_mart(name))
    return MartPrint(columns, _fingerprint(columns, rows, hashes), rows, parts)


def _fingerprint(columns: list[tuple[str, str]], rows: int, hashes: int) -> str:
    signature = ", ".join(f"{column} {type_}" for column, type_ in columns)
    return f"{rows} rows, {hashes} ({signature})"


def release_mart(
    con: duckdb.DuckDBPyConnection,
    release: str,
    name: str,
    before: str | None,
    printed: MartPrint | None = None,
    held_parts: dict | None = None,
) -> tuple[str, int, str]:
    """Bring the release's copy of mart ``name`` (the connection's database, started from the
    current release's file; its catalog ``release``) to the working warehouse's (attached as
    ``working``; ``printed`` its ``mart_print`` when already taken; ``held_parts`` the
    release's own part prints when the current release recorded them), and return the mart's
    fingerprint, its row count and what was done: ``kept`` (the fingerprint is ``before``,
    the current release's), ``by parts`` (the rows of the files whose rows changed replaced),
    ``by rows`` (a mart without that column: the rows the working mart does not hold deleted,
    those it holds and the copy does not inserted) or ``written`` (the table made anew)."""
    printed = printed or mart_print(con, name)
    fingerprint, rows, parts, source = printed.fingerprint, printed.rows, printed.parts, _working_mart(name)
    table = f"marts.{sql_identifier(name)}"  # the release's copy
    held = _published_columns(con, release, name)
    if held == printed.columns and fingerprint == before:
        return fingerprint, rows, "kept"
    if held == printed.columns and parts is None:
        if _rows_replaced(con, name, printed, table):
            return fingerprint, rows, "by rows"
        log.warning("publishing: %s replaced by rows does not print as the working mart; written whole", name)
    if held == printed.columns and parts is not None:
        published = held_parts if held_parts is not None else _part_prints(con, f"select * from {table}")
        changed = sorted((k for k in parts.keys() | published.keys() if parts.get(k) != published.get(k)), key=str)
        where, keys = parts_filter(PART, changed)
        con.execute(f"delete from {table} where {where}", keys)
        con.execute(f"insert into {table} by name {source} where {where}", keys)
        now = _part_prints(con, f"select * from {table} where {where}", keys)
        total = con.execute(f"select count(*) from {table}").fetchone()[0]
        if now == {k: parts[k] for k in changed if k in parts} and total == rows:
            return fingerprint, rows, "by parts"
        log.warning("publishing: %s replaced by parts does not print as the working mart; written whole", name)
    con.execute(f"create or replace table {table} as {source}")
    return fingerprint, rows, "written"


def _rows_replaced(con: duckdb.DuckDBPyConnection, name: str, printed: MartPrint, table: str) -> bool:
    """Bring the release's copy of mart ``name`` (``table``, with the working mart's columns)
    to the working mart by the hash of each row: the copy's rows whose hash the working mart
    lacks are deleted, the working rows whose hash the copy lacks are inserted. True when the
    copy then prints as the working mart (``printed``); rows repeated a different number of
    times on the two sides do not, and the caller writes the mart whole."""
    row = "struct_pack(" + ", ".join(f"{sql_identifier(c)} := {sql_identifier(c)}" for c, _ in printed.columns) + ")"
    try:
        con.execute(f"create temp table held_rows as select rowid as row_id, hash({row}) as h from {table}")
        con.execute(f"create temp table working_rows as select hash(q) as h from ({_working_mart(name)}) as q")
        con.execute(
            f"delete from {table} where rowid in "
            "(select row_id from held_rows where h not in (select h from working_rows))"
        )
        con.execute(
            f"insert into {table} by name select * from ({_working_mart(name)}) as q "
            "where hash(q) in (select h from working_rows except select h from held_rows)"
        )
    finally:
        con.execute("drop table if exists temp.held_rows")
        con.execute("drop table if exists temp.working_rows")
    return _fingerprint(printed.columns, *rows_print(con, f"select * from {table}")) == printed.fingerprint


def _published_columns(con: duckdb.DuckDBPyConnection, catalog: str, mart: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = 'marts' "
        "and table_name = ? and not starts_with(column_name, ?) order by column_index",
        [catalog, mart, BOOKKEEPING],
    ).fetchall()


def _part_prints(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> dict:
    """``rows_print`` of each source file's rows of ``query``."""
    found = con.execute(f"select {PART}::varchar, {PRINT_COLUMNS} from ({query}) as q group by 1", params).fetchall()
    return {part: (n, h) for part, n, h in found}


def _write_parquet(
    con: duckdb.DuckDBPyConnection,
    marts: list[tuple[str, Path, tuple[Path, PartIndex] | None]],
    printed: dict[str, MartPrint],
    work: Path,
) -> dict[str, PartIndex]:
    """Each working mart (as published) into its Parquet file: a mart with a ``PART`` column
    by parts, splicing from its published file (its path and index when there is one) the
    parts whose rows did not change; the index of each file written by parts."""
    indexes = {}
    try:
        for name, target, published in marts:
            parts = printed[name].parts
            if parts:
                indexes[name] = write_by_parts(con, _working_mart(name), PART, parts, target, work, published)
                continue
            con.execute(f"copy ({_working_mart(name)}) to {sql_literal(target)} (format parquet, compression zstd)")
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    return indexes


class _Background:
    """``function(*args)`` in a thread of its own; ``join`` waits for it, raises what it raised
    and returns what it returned."""

    def __init__(self, function, *args) -> None:
        self.error: BaseException | None = None
        self.result = None

        def run() -> None:
            try:
                self.result = function(*args)
            except BaseException as error:  # handed to join, in the publishing thread
                self.error = error

        self.thread = threading.Thread(target=run, name=f"publish-{function.__name__}", daemon=True)
        self.thread.start()

    def join(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result


def _current_release(publish_dir: Path) -> dict:
    """The current release's ``release.json`` (empty before the first release)."""
    try:
        info = json.loads((publish_dir / "current" / "release.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _prints(release: dict, prints: str) -> dict[str, str]:
    """A map of prints a release recorded (``fingerprints`` of its marts, ``feedback_prints``
    of its units' workbooks)."""
    found = release.get(prints)
    return found if isinstance(found, dict) else {}


def _write_release_json(folder: Path, info: dict) -> None:
    (folder / "release.json").write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")


def new_release_id() -> str:
    """A release's id: when it was made, in Viet Nam time, and a random suffix."""
    return f"{vietnam_time():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _switch_to(publish_dir: Path, release_id: str) -> None:
    """Make a complete release folder the current one (each link one atomic rename); the
    release it replaces becomes ``previous``."""
    current = publish_dir / "current"
    previous_target = os.readlink(current) if current.is_symlink() else None
    _swap_link(current, f"releases/{release_id}")
    if previous_target:
        _swap_link(publish_dir / "previous", previous_target)
    for name, target in STABLE_LINKS.items():
        link = publish_dir / name
        if not (link.is_symlink() and os.readlink(link) == target):
            _swap_link(link, target)
    _prune(publish_dir / "releases", keep={release_id, Path(previous_target).name if previous_target else ""})


def publish_report(settings: Settings, period_key: str) -> tuple[Path, Path]:
    """A report written on demand goes into a new release, never into a published one: the
    current release's files are linked into it (hard links: a published file is never
    written again, so sharing it is safe and costs no copy), the period's report is written
    beside them, and the new release is switched in like any other. Returns the report's
    paths through the stable ``reports`` link."""
    publish_dir = Path(settings.publish_dir)
    source = (publish_dir / "current").resolve()
    if not (source / "warehouse.duckdb").exists():
        raise FileNotFoundError(f"nothing published yet at {publish_dir}")
    release_id = new_release_id()
    staging = publish_dir / "releases" / f".{release_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging, copy_function=_link_or_copy, symlinks=True)
    written = {staging / "reports" / f"{period_key}{suffix}" for suffix in (".xlsx", ".html")}
    for path in written | {staging / "release.json"}:
        path.unlink(missing_ok=True)  # a new file, never the linked one written over
    try:
        write_report(staging / "warehouse.duckdb", period_key, staging / "reports", header_from(settings))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    info = json.loads((source / "release.json").read_text(encoding="utf-8"))
    info.update(
        release_id=release_id,
        published_at=vietnam_time().isoformat(timespec="seconds"),
        derived_from=source.name,
        reports_written=sorted({*info.get("reports_written", []), period_key}),
    )
    _write_release_json(staging, info)
    os.rename(staging, publish_dir / "releases" / release_id)
    _switch_to(publish_dir, release_id)
    return tuple(publish_dir / "reports" / f"{period_key}{suffix}" for suffix in (".xlsx", ".html"))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed: a copy
        shutil.copy2(src, dst)


def rollback_files(publish_dir: Path) -> str:
    """Point ``current`` back at the previous release and ``previous`` at the one it left
    (each switch one atomic rename); returns the release id now published."""
    current, previous = publish_dir / "current", publish_dir / "previous"
    if not (current.is_symlink() and previous.is_symlink()):
        raise FileNotFoundError(f"no previous release to switch back to under {publish_dir}")
    now, before = os.readlink(current), os.readlink(previous)
    if not (publish_dir / before).is_dir():
        raise FileNotFoundError(f"the previous release {before} is no longer under {publish_dir}")
    _swap_link(current, before)
    _swap_link(previous, now)
    return Path(before).name


def _prune(releases: Path, keep: set[str]) -> None:
    """Drop all but the newest releases (current and previous always stay)."""
    done = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_RELEASES]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for partial in releases.glob(".*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
