"""The working DuckDB file: connections, the raw landing tables, batches and cursors.

Raw is append-only. A batch is landed in one transaction together with its row in
``raw.batches`` and, for incremental sources, the cursor it advances: a cursor never moves
past data that is not committed.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

RAW_TABLES = ("portal_procedures", "portal_dossiers", "portal_ratings")

DDL = [
    "create schema if not exists raw",
    """create table if not exists raw.batches (
        batch_id varchar primary key,
        batch_seq bigint not null,
        source varchar not null,
        started_at timestamp not null,
        committed_at timestamp not null,
        window_from timestamp,
        window_to timestamp,
        pages integer not null,
        rows_read bigint not null
    )""",
    """create table if not exists raw.cursors (
        source varchar primary key,
        cursor_value timestamp not null,
        batch_id varchar not null,
        updated_at timestamp not null
    )""",
    # Figures of reports made final (DOMAIN.md 5): kept as reported, never changed.
    """create table if not exists raw.report_finals (
        period_key varchar not null,
        unit_code varchar not null,
        kpi_code varchar not null,
        numerator bigint,
        denominator bigint,
        reported_at timestamp not null,
        release_id varchar not null,
        primary key (period_key, unit_code, kpi_code)
    )""",
    *[
        f"""create table if not exists raw.{name} (
            _batch_id varchar not null,
            _batch_seq bigint not null,
            _row_seq bigint not null,
            _loaded_at timestamp not null,
            _source varchar not null,
            _page integer not null,
            _row integer not null,
            payload varchar
        )"""
        for name in RAW_TABLES
    ],
]


def connect(path: Path | str, *, read_only: bool = False, memory_limit: str = "3GB",
            threads: int = 2) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the memory limit and thread count every connection sets."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only,
                         config={"memory_limit": memory_limit, "threads": threads})
    return con


@contextmanager
def open_warehouse(settings, *, read_only: bool = False):
    con = connect(settings.warehouse, read_only=read_only, memory_limit=settings.duckdb_memory_limit,
                  threads=settings.duckdb_threads)
    try:
        if not read_only:
            ensure_raw(con)
        yield con
    finally:
        con.close()


def ensure_raw(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def get_cursor(con: duckdb.DuckDBPyConnection, source: str) -> datetime | None:
    row = con.execute("select cursor_value from raw.cursors where source = ?", [source]).fetchone()
    return row[0] if row else None


def land_batch(con: duckdb.DuckDBPyConnection, *, source: str, table: str, pages: list[pa.Table],
               started_at: datetime, window: tuple[datetime | None, datetime | None] = (None, None),
               cursor: datetime | None = None) -> tuple[str, int]:
    """Append one batch of pages to ``raw.<table>`` atomically; returns (batch_id, rows)."""
    if table not in RAW_TABLES:
        raise ValueError(f"unknown raw table {table!r}")
    data = pa.concat_tables(pages) if pages else None
    rows = data.num_rows if data is not None else 0
    batch_id = uuid.uuid4().hex
    con.execute("begin transaction")
    try:
        seq = con.execute("select coalesce(max(batch_seq), 0) + 1 from raw.batches").fetchone()[0]
        if rows:
            data = data.append_column("_row_seq", pa.array(range(1, rows + 1), pa.int64()))
            con.register("_landing_batch", data)
            con.execute(
                f"""insert into raw.{table}
                    select ?, ?, _row_seq, current_localtimestamp(), _source, _page, _row, payload
                    from _landing_batch""",
                [batch_id, seq],
            )
            con.unregister("_landing_batch")
        con.execute(
            "insert into raw.batches values (?, ?, ?, ?, current_localtimestamp(), ?, ?, ?, ?)",
            [batch_id, seq, source, started_at, window[0], window[1], len(pages), rows],
        )
        if cursor is not None:
            con.execute(
                """insert into raw.cursors values (?, ?, ?, current_localtimestamp())
                   on conflict (source) do update set cursor_value = excluded.cursor_value,
                   batch_id = excluded.batch_id, updated_at = excluded.updated_at""",
                [source, cursor, batch_id],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return batch_id, rows
