"""The working DuckDB file: connections, the raw landing tables, batches and cursors.

Raw is append-only. A batch is landed in one transaction together with its row in
``raw.batches`` and, for incremental sources, the cursor it advances: a cursor never moves
past data that is not committed.
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.exports import FILE_KINDS, LAYOUTS
from orchestration.settings import Settings

RAW_TABLES = ("portal_procedures", "portal_dossiers", "portal_ratings")
FILE_TABLES = {layout.table: layout for layout in LAYOUTS}
# A landed file's rows live in the raw zone (``raw_zone``): one Parquet file per landed file
# version, beside the warehouse. ``raw.<table>`` is a view over them and over
# ``raw.<table>_stored``, the rows landed inside the DuckDB file by warehouses made before
# the zone (docs/decisions.md, "The raw zone").
STORED = "_stored"
SCHEMA_FILE = "_schema.parquet"  # an empty file with the table's columns: the view reads before any landing

# What every landed file row carries before its layout's own columns (all text): the column,
# its type in raw, and its value in land_file (``?``: a parameter, in this order: the batch,
# its sequence, the file's path, the file's id).
LANDING_COLUMNS = {
    "_batch_id": ("varchar not null", "?"),
    "_batch_seq": ("bigint not null", "?"),
    "_row_seq": ("bigint not null", "_row_seq"),
    "_loaded_at": ("timestamp not null", "current_localtimestamp()"),
    "_source": ("varchar not null", "?"),
    "_sheet": ("varchar", "_sheet"),
    "_row": ("bigint not null", "_row"),
    "_file_id": ("varchar not null", "?"),
}

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
    # Every file found in an input folder, by content hash and kind (DOMAIN.md 2.2, 2.3):
    # loaded, or rejected with the reason. A path whose content changed has one row per
    # version. The same bytes as a .csv and as a .xlsx are two files (read two ways).
    """create table if not exists raw.files (
        folder varchar not null,
        file_id varchar not null,
        kind varchar not null,
        path varchar not null,
        size_bytes bigint not null,
        modified_at timestamp,
        mtime_ns bigint,
        seen_at timestamp not null,
        status varchar not null,
        source varchar,
        reason_code varchar,
        reason varchar,
        batch_id varchar,
        rows_read bigint,
        rows_blank bigint,
        rows_footer bigint,
        header_row integer,
        sheets varchar,
        encoding varchar,
        delimiter varchar,
        as_of_date date,
        notes varchar,
        declared_unit varchar,
        declared_period varchar,
        primary key (folder, file_id, kind)
    )""",
    *[
        f"""create table if not exists raw.{table}{STORED} (
            {", ".join(f"{c} {kind}" for c, (kind, _) in LANDING_COLUMNS.items())},
            {", ".join(f"{c} varchar" for c in layout.columns)}
        )"""
        for table, layout in FILE_TABLES.items()
    ],
]


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    memory_limit: str = Settings.duckdb_memory_limit,
    threads: int = Settings.duckdb_threads,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the memory limit and thread count every connection sets."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit, "threads": threads})
    con.execute("set enable_progress_bar = false")  # a long load would draw bars into the run's log
    return con


@contextmanager
def open_warehouse(settings, *, read_only: bool = False):
    con = connect(
        settings.warehouse,
        read_only=read_only,
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
    )
    try:
        if not read_only:
            ensure_raw(con)
        yield con
    finally:
        con.close()


def ensure_raw(con: duckdb.DuckDBPyConnection) -> None:
    _migrate_files_kind(con)
    _migrate_stored_tables(con)
    for stmt in DDL:
        con.execute(stmt)
    _zone_views(con)
    # warehouses made before the report forms: what a rejected form still says of itself
    for column in ("declared_unit", "declared_period"):
        con.execute(f"alter table raw.files add column if not exists {column} varchar")
    # and before a file's modification time was kept to the nanosecond (unchanged_file)
    con.execute("alter table raw.files add column if not exists mtime_ns bigint")


def raw_zone(con: duckdb.DuckDBPyConnection) -> Path:
    """The folder of this warehouse's landed files: ``<warehouse file>.raw`` beside it."""
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    path = Path(path).resolve()
    if any(c in str(path) for c in "*?[]{}"):
        raise ValueError(f"the warehouse's path {path} holds a wildcard character (* ? [ ] {{ }}): choose another")
    return raw_zone_of(path)


def raw_zone_of(warehouse: Path) -> Path:
    """The raw zone of the warehouse file ``warehouse`` (it belongs to the file: moved,
    backed up and removed with it)."""
    return warehouse.with_name(warehouse.name + ".raw")


def _zone_views(con: duckdb.DuckDBPyConnection) -> None:
    """``raw.<table>`` over the zone's Parquet files of committed batches and the stored rows.

    A file whose batch is not in ``raw.batches`` (the run stopped between writing it and
    committing its batch) is left out of the view and deleted here: a batch and its rows land
    together or not at all. Each table's folder keeps an empty ``_schema.parquet``, so the
    view reads before any file has landed."""
    zone = raw_zone(con)
    committed = {r[0] for r in con.execute("select batch_id from raw.batches").fetchall()}
    for table in FILE_TABLES:
        folder = zone / table
        folder.mkdir(parents=True, exist_ok=True)
        for landed in folder.glob("*.parquet"):
            if landed.name != SCHEMA_FILE and landed.stem not in committed:
                landed.unlink()  # renamed whole, but the run stopped before its batch committed
        if not (folder / SCHEMA_FILE).exists():
            con.execute(f"copy (select * from raw.{table}{STORED} limit 0) to '{_sql_text(folder / SCHEMA_FILE)}'")
        con.execute(
            f"""create or replace view raw.{table} as
                select * from raw.{table}{STORED}
                union all by name
                select * from read_parquet('{_sql_text(folder)}/*.parquet', union_by_name = true)
                where _batch_id in (select batch_id from raw.batches)"""
        )


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _migrate_stored_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses made before the raw zone held a file table's rows as ``raw.<table>``:
    renamed ``raw.<table>_stored``, read through the view as before."""
    for (table,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' and table_type = 'BASE TABLE'"
    ).fetchall():
        if table in FILE_TABLES:
            con.execute(f"alter table raw.{table} rename to {table}{STORED}")


def _migrate_files_kind(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses made before files were known by content *and* kind: add ``kind`` (from
    the path's suffix) to ``raw.files`` and make it part of the key."""
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'files'"
        ).fetchall()
    ]
    if not columns or "kind" in columns:
        return
    files_ddl = next(stmt for stmt in DDL if "raw.files (" in stmt)
    con.execute("begin transaction")
    try:
        con.execute("alter table raw.files rename to files_before_kind")
        con.execute(files_ddl)
        con.execute(f"""insert into raw.files ({", ".join(FILE_COLUMNS)}, seen_at)
            select {", ".join(_KIND_SQL if c == "kind" else c if c in columns else "null" for c in FILE_COLUMNS)},
                   seen_at
            from raw.files_before_kind""")
        con.execute("drop table raw.files_before_kind")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


_KIND_SQL = (
    "case "
    + " ".join(
        f"when regexp_matches(lower(path), '({'|'.join(re.escape(x) for x in suffixes)})$') then '{kind}'"
        for kind, suffixes in FILE_KINDS.items()
    )
    + " else 'other' end"
)


def get_cursor(con: duckdb.DuckDBPyConnection, source: str) -> datetime | None:
    row = con.execute("select cursor_value from raw.cursors where source = ?", [source]).fetchone()
    return row[0] if row else None


def land_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    table: str,
    pages: list[pa.Table],
    started_at: datetime,
    window: tuple[datetime | None, datetime | None] = (None, None),
    cursor: datetime | None = None,
) -> tuple[str, int]:
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


def land_file(
    con: duckdb.DuckDBPyConnection,
    *,
    folder: str,
    file_id: str,
    path: str,
    table: str,
    select_sql: str,
    file_meta: dict,
    started_at: datetime,
    registered: dict[str, pa.Table] | None = None,
) -> tuple[str, int]:
    """Land one file's rows (``select_sql`` yields the layout's columns, ``_sheet``, ``_row``
    and a ``_row_seq`` unique in the file) with its ``raw.batches`` and ``raw.files`` rows,
    in one transaction."""
    layout = FILE_TABLES[table]
    batch_id = uuid.uuid4().hex
    zone = raw_zone(con) / table
    landed, partial = zone / f"{batch_id}.parquet", zone / f"{batch_id}.part"
    for name, data in (registered or {}).items():
        con.register(name, data)
    try:
        seq = con.execute("select coalesce(max(batch_seq), 0) + 1 from raw.batches").fetchone()[0]
        # the rows go to the batch's own Parquet file (DuckDB's writer, no transaction log);
        # its name is given only once it is whole, and the batch is committed right after
        rows = con.execute(
            f"""copy (
                    select {", ".join(f"cast({value} as {kind.split()[0]}) as {c}" for c, (kind, value) in LANDING_COLUMNS.items())},
                           {", ".join(f"{c}::varchar as {c}" for c in layout.columns)}
                    from ({select_sql})
                ) to '{_sql_text(partial)}' (format parquet, row_group_size 122880)""",
            [batch_id, seq, path, file_id],
        ).fetchone()[0]
    finally:
        for name in registered or {}:
            con.unregister(name)
    con.execute("begin transaction")
    try:
        con.execute(
            "insert into raw.batches values (?, ?, ?, ?, current_localtimestamp(), null, null, ?, ?)",
            [batch_id, seq, layout.source, started_at, max(1, len(file_meta.get("sheets") or [])), rows],
        )
        total = file_meta.get("rows_total")  # a CSV: rows DuckDB's reader yielded, blank ones included
        _insert_file_row(
            con,
            {
                **file_meta,
                "folder": folder,
                "file_id": file_id,
                "path": path,
                "status": "loaded",
                "source": layout.source,
                "batch_id": batch_id,
                "rows_read": rows,
                "rows_blank": total - rows if total is not None else file_meta.get("rows_blank"),
            },
        )
        partial.rename(landed)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        landed.unlink(missing_ok=True)
        raise
    finally:
        partial.unlink(missing_ok=True)
    return batch_id, rows


def record_rejected_file(
    con: duckdb.DuckDBPyConnection,
    *,
    folder: str,
    file_id: str,
    path: str,
    file_meta: dict,
    reason_code: str,
    reason: str,
    about: dict | None = None,
) -> None:
    """A file that cannot be read at all: kept in ``raw.files`` with the reason (and, for a
    form, the unit and period it names, ``about``)."""
    about = about or {}
    _insert_file_row(
        con,
        {
            **file_meta,
            "declared_unit": about.get("ma_don_vi"),
            "declared_period": about.get("ky_bao_cao"),
            "folder": folder,
            "file_id": file_id,
            "path": path,
            "status": "rejected",
            "reason_code": reason_code,
            "reason": reason,
        },
    )


FILE_COLUMNS = (
    "folder",
    "file_id",
    "kind",
    "path",
    "size_bytes",
    "modified_at",
    "mtime_ns",
    "status",
    "source",
    "reason_code",
    "reason",
    "batch_id",
    "rows_read",
    "rows_blank",
    "rows_footer",
    "header_row",
    "sheets",
    "encoding",
    "delimiter",
    "as_of_date",
    "notes",
    "declared_unit",
    "declared_period",
)


def _insert_file_row(con: duckdb.DuckDBPyConnection, values: dict) -> None:
    row = dict(values)
    if isinstance(row.get("sheets"), list):
        row["sheets"] = ", ".join(row["sheets"])
    if isinstance(row.get("notes"), list):
        row["notes"] = "; ".join(row["notes"]) or None
    con.execute(
        f"""insert into raw.files ({", ".join(FILE_COLUMNS)}, seen_at)
            values ({", ".join("?" for _ in FILE_COLUMNS)}, current_localtimestamp())""",
        [row.get(c) for c in FILE_COLUMNS],
    )


def known_file(con: duckdb.DuckDBPyConnection, folder: str, file_id: str, kind: str) -> tuple[str, str] | None:
    """(path, status) of a file already seen in ``folder`` with this content and kind."""
    return con.execute(
        "select path, status from raw.files where folder = ? and file_id = ? and kind = ?", [folder, file_id, kind]
    ).fetchone()


def unchanged_file(
    con: duckdb.DuckDBPyConnection, folder: str, path: str, kind: str, size: int, mtime_ns: int
) -> str | None:
    """The content id of the file at ``path`` as it was loaded, when the register holds a
    loaded file there of this size and modification time to the nanosecond: the file has not
    been written since (what git and rsync take too), so it need not be read and hashed
    again. A rejected file is always read again."""
    row = con.execute(
        "select file_id from raw.files where folder = ? and path = ? and kind = ? and status = 'loaded' "
        "and size_bytes = ? and mtime_ns = ? order by seen_at desc limit 1",
        [folder, path, kind, size, mtime_ns],
    ).fetchone()
    return row[0] if row else None


def forget_rejected_file(con: duckdb.DuckDBPyConnection, folder: str, file_id: str, kind: str) -> None:
    con.execute(
        "delete from raw.files where folder = ? and file_id = ? and kind = ? and status = 'rejected'",
        [folder, file_id, kind],
    )
