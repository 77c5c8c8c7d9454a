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
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.portal import safe_url
from expectations.runner import rows_print
from orchestration.feedback import write_feedback
from orchestration.forms import form_periods, write_forms
from orchestration.reports import header_from, report_periods, write_report
from orchestration.runlog import vietnam_time
from orchestration.settings import Settings

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


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


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
    from ``catalog`` into the release, as ``COMMENT ON``: ``create table as`` drops them."""
    copied = 0
    for table, comment in con.execute(
        "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = 'marts' "
        "and comment is not null",
        [catalog],
    ).fetchall():
        if table in tables:
            con.execute(f'comment on table marts."{table}" is {_text(comment)}')
            copied += 1
    for table, column, comment in con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = ? "
        "and schema_name = 'marts' and comment is not null",
        [catalog],
    ).fetchall():
        if table in tables and not column.startswith(BOOKKEEPING):
            con.execute(f'comment on column marts."{table}"."{column}" is {_text(comment)}')
            copied += 1
    return copied


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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

    tables: dict[str, int] = {}
    fingerprints: dict[str, str] = {}
    linked: list[str] = []
    con = duckdb.connect(
        str(staging / "warehouse.duckdb"),
        config={"memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads},
    )
    con.execute("set enable_progress_bar = false")  # a long copy would draw bars into the run's log
    try:
        con.execute(f"attach {_literal(Path(settings.warehouse).resolve())} as working (read_only)")
        con.execute("create schema marts")
        for name in published_marts(con, "working"):
            con.execute(
                f'create table marts."{name}" as select columns(c -> not starts_with(c, ?)) from working.marts."{name}"',
                [BOOKKEEPING],
            )
            tables[name] = con.execute(f'select count(*) from marts."{name}"').fetchone()[0]
        copy_comments(con, "working", list(tables))
        con.execute("detach working")
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
        current = _current_release(publish_dir)
        before = _prints(current, "fingerprints")
        for name in tables:
            target = staging / "parquet" / f"{name}.parquet"
            fingerprints[name] = fingerprint(con, name)
            unchanged = publish_dir / "current" / "parquet" / f"{name}.parquet"
            if before.get(name) == fingerprints[name] and unchanged.is_file():
                os.link(unchanged.resolve(), target)  # the same rows: the published file, linked
                linked.append(name)
            else:
                con.execute(f'copy marts."{name}" to {_literal(target)} (format parquet, compression zstd)')
        log.info(
            "publishing: %d Parquet files written, %d unchanged ones linked", len(tables) - len(linked), len(linked)
        )
        feedback = write_feedback(
            con,
            staging / "feedback",
            settings.department_name,
            settings.parent_body,
            before=publish_dir / "current" / "feedback",
            prints_before=_prints(current, "feedback_prints"),
        )
        log.info(
            "publishing: %d unit feedback workbooks written, %d unchanged ones linked",
            len(feedback.paths) - feedback.kept,
            feedback.kept,
        )
        forms = write_forms(con, staging / "forms", settings.department_name, form_periods(con))
        periods = report_periods(con)
        con.execute("checkpoint")
    finally:
        con.close()
    for period_key in periods:
        write_report(staging / "warehouse.duckdb", period_key, staging / "reports", header_from(settings))
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
            "tables": tables,
            "fingerprints": fingerprints,
            "feedback_units": sorted(feedback.paths),
            "feedback_prints": feedback.prints,
            "forms": len(forms),
        },
    )
    os.rename(staging, final)
    _switch_to(publish_dir, release_id)
    return Release(release_id, final, tables)


def fingerprint(con: duckdb.DuckDBPyConnection, mart: str) -> str:
    """What a mart holds, in a line: its columns and types, its row count and the sum of its
    rows' hashes (order does not matter). Equal fingerprints: the same rows."""
    columns = con.execute(
        "select string_agg(column_name || ' ' || data_type, ', ' order by column_index) from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'marts' and table_name = ?",
        [mart],
    ).fetchone()[0]
    rows, hashes = rows_print(con, f'select * from marts."{mart}"')
    return f"{rows} rows, {hashes} ({columns})"


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
