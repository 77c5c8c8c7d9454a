"""The serving database: every release also loaded into PostgreSQL (``CCHC_SERVING_URL``), for
the BI servers that reach data over the network (Superset, Metabase, Power BI's gateway).

- Each published mart becomes ``marts.<mart>`` there, with the same columns, in types that
  keep the values exact (integers; ``numeric`` for ratios and money; dates; timestamps in
  Viet Nam local time, as in the marts; text), a primary key where dbt tests one, and the
  Vietnamese + English descriptions as ``COMMENT ON``. ``release_info`` says which release.
- **Atomic switch.** A release loads into ``marts_next`` and, in the same transaction, the
  schemas are renamed (``marts`` → ``marts_previous``, ``marts_next`` → ``marts``): a query
  sees the old figures or the new, never a mix and never a missing table; a connection held
  open keeps working (names are resolved per statement). Nothing is visible before the
  commit, and a failure rolls everything back: no half-loaded schema is ever left.
- **Rollback**: ``marts`` and ``marts_previous`` trade names in one transaction.
- **Roles**: ``init_roles`` creates the read-only role BI tools log in with (``USAGE`` and
  ``SELECT`` on ``marts`` only, kept on every later release); the pipeline's role is the
  only writer.
- **Speed**: each mart is written by DuckDB as CSV and streamed with ``COPY`` (psycopg 3).

Nothing here prints the URL: it may hold a password (``safe_target`` names the host).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from orchestration.escaping import sql_identifier, sql_literal

log = logging.getLogger(__name__)

SCHEMA, NEXT, PREVIOUS, SWAP = "marts", "marts_next", "marts_previous", "marts_swap"
CHUNK = 1 << 20


class ServingError(Exception):
    """The serving database could not be loaded or switched; the message is one line."""


@dataclass(frozen=True)
class Loaded:
    release_id: str
    tables: dict[str, int]  # rows loaded per mart
    seconds: float
    table_seconds: dict[str, float]  # load time per mart (DuckDB's CSV and PostgreSQL's COPY)


def safe_target(url: str) -> str:
    """Where the database is, without user or password: for messages."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"
    except ValueError:
        return "the configured database"


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL type that keeps a DuckDB column's values exact."""
    t = duckdb_type.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT"):
        return "integer"
    if t in ("BIGINT", "UINTEGER"):
        return "bigint"
    if t in ("HUGEINT", "UBIGINT", "UHUGEINT", "DOUBLE", "FLOAT", "REAL"):
        return "numeric"  # a double's shortest text is exact in numeric
    if t.startswith("DECIMAL"):
        return t.replace("DECIMAL", "numeric")
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
        return "timestamp"
    if t == "TIMESTAMP WITH TIME ZONE":
        return "timestamptz"
    return "text"


def mart_keys(manifest: Path) -> dict[str, list[str]]:
    """The key of each mart, as dbt tests it (``unique_combination`` or ``unique``)."""
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    keys: dict[str, list[str]] = {}
    for node in nodes.values():
        meta = node.get("test_metadata") or {}
        attached = node.get("attached_node") or ""
        if node.get("resource_type") != "test" or not attached.startswith("model."):
            continue
        model = attached.rsplit(".", 1)[-1]
        if meta.get("name") == "unique_combination":
            kwargs = meta.get("kwargs") or {}
            columns = kwargs.get("columns") or (kwargs.get("arguments") or {}).get("columns")
            if columns:
                keys[model] = list(columns)
        elif meta.get("name") == "unique" and node.get("column_name") and model not in keys:
            keys[model] = [node["column_name"]]
    return keys


def _tables(duck) -> list[tuple[str, list[tuple[str, str]]]]:
    rows = duck.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' order by table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return list(tables.items())


def _comments(duck) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    tables = dict(
        duck.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts' and comment is not null"
        ).fetchall()
    )
    columns = {
        (t, c): comment
        for t, c, comment in duck.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and comment is not null"
        ).fetchall()
    }
    return tables, columns


def _connect(url: str, timeout: float):
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=max(1, int(timeout)), application_name="cchc-serving")
    except psycopg.OperationalError as exc:
        cause = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ServingError(f"cannot reach the serving database at {safe_target(url)}: {cause}") from None


def load_release(
    url: str,
    release_dir: Path,
    manifest: Path,
    reader_role: str = "",
    timeout: float = 10.0,
    work_dir: Path | None = None,
) -> Loaded:
    """Load the release at ``release_dir`` into ``marts_next`` and switch it in, all in one
    transaction (the module's docstring)."""
    import psycopg

    started = time.monotonic()
    duck = duckdb.connect(str(release_dir / "warehouse.duckdb"), read_only=True)
    duck.execute("set enable_progress_bar = false")
    keys = mart_keys(manifest)
    loaded: dict[str, int] = {}
    timings: dict[str, float] = {}
    try:
        release_id = duck.execute("select release_id from marts.release_info").fetchone()[0]
        tables = _tables(duck)
        table_comments, column_comments = _comments(duck)
        with _connect(url, timeout) as pg, tempfile.TemporaryDirectory(dir=work_dir, prefix="serving-") as tmp:
            try:
                with pg.transaction(), pg.cursor() as cur:
                    cur.execute(f"drop schema if exists {NEXT} cascade")
                    cur.execute(f"create schema {NEXT}")
                    for table, columns in tables:
                        table_started = time.monotonic()
                        loaded[table] = _load_table(duck, cur, table, columns, Path(tmp))
                        timings[table] = time.monotonic() - table_started
                        key = [c for c in keys.get(table, []) if c in dict(columns)]
                        if key and len(key) == len(keys[table]) and not _has_null(duck, table, key):
                            cur.execute(
                                f"alter table {NEXT}.{sql_identifier(table)} add primary key ({', '.join(map(sql_identifier, key))})"
                            )
                        if table in table_comments:
                            cur.execute(
                                f"comment on table {NEXT}.{sql_identifier(table)} is {sql_literal(table_comments[table])}"
                            )
                        for column, _ in columns:
                            comment = column_comments.get((table, column))
                            if comment:
                                cur.execute(
                                    f"comment on column {NEXT}.{sql_identifier(table)}.{sql_identifier(column)} is {sql_literal(comment)}"
                                )
                    if reader_role and _role_exists(cur, reader_role):
                        cur.execute(f"grant usage on schema {NEXT} to {sql_identifier(reader_role)}")
                        cur.execute(f"grant select on all tables in schema {NEXT} to {sql_identifier(reader_role)}")
                    # the switch: the previous generation goes, the current one becomes previous
                    cur.execute(f"drop schema if exists {PREVIOUS} cascade")
                    if _schema_exists(cur, SCHEMA):
                        cur.execute(f"alter schema {SCHEMA} rename to {PREVIOUS}")
                    cur.execute(f"alter schema {NEXT} rename to {SCHEMA}")
            except psycopg.Error as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ServingError(f"loading the serving database at {safe_target(url)} failed: {first}") from None
    finally:
        duck.close()
    return Loaded(release_id, loaded, time.monotonic() - started, timings)


def _load_table(duck, cur, table: str, columns: list[tuple[str, str]], tmp: Path) -> int:
    cur.execute(
        f"create table {NEXT}.{sql_identifier(table)} ("
        + ", ".join(f"{sql_identifier(c)} {pg_type(kind)}" for c, kind in columns)
        + ")"
    )
    csv = tmp / f"{re.sub(r'[^a-z0-9_]', '_', table)}.csv"
    duck.execute(
        f"copy (select * from marts.{sql_identifier(table)}) to {sql_literal(str(csv))} (format csv, header false)"
    )
    names = ", ".join(sql_identifier(c) for c, _ in columns)
    with (
        cur.copy(f"copy {NEXT}.{sql_identifier(table)} ({names}) from stdin (format csv)") as copy,
        open(csv, "rb") as f,
    ):
        while block := f.read(CHUNK):
            copy.write(block)
    csv.unlink()
    return cur.rowcount if cur.rowcount >= 0 else 0


def _has_null(duck, table: str, key: list[str]) -> bool:
    condition = " or ".join(f"{sql_identifier(c)} is null" for c in key)
    return duck.execute(f"select exists (select 1 from marts.{sql_identifier(table)} where {condition})").fetchone()[0]


def _schema_exists(cur, name: str) -> bool:
    cur.execute("select 1 from pg_namespace where nspname = %s", [name])
    return cur.fetchone() is not None


def _role_exists(cur, name: str) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", [name])
    return cur.fetchone() is not None


def rollback(url: str, timeout: float = 10.0) -> str:
    """Switch back to the previous release (``marts`` and ``marts_previous`` trade names in
    one transaction); returns the release id now served."""
    import psycopg

    with _connect(url, timeout) as pg:
        try:
            with pg.transaction(), pg.cursor() as cur:
                if not _schema_exists(cur, PREVIOUS):
                    raise ServingError("the serving database holds no previous release to switch back to")
                cur.execute(f"alter schema {SCHEMA} rename to {SWAP}")
                cur.execute(f"alter schema {PREVIOUS} rename to {SCHEMA}")
                cur.execute(f"alter schema {SWAP} rename to {PREVIOUS}")
                cur.execute(f"select release_id from {SCHEMA}.release_info")
                return cur.fetchone()[0]
        except psycopg.Error as exc:
            raise ServingError(
                f"switching the serving database back failed: {str(exc).strip().splitlines()[0]}"
            ) from None


def served_release(url: str, timeout: float = 10.0) -> str | None:
    with _connect(url, timeout) as pg, pg.cursor() as cur:
        if not _schema_exists(cur, SCHEMA):
            return None
        cur.execute(f"select release_id from {SCHEMA}.release_info")
        row = cur.fetchone()
        return row[0] if row else None


def init_roles(url: str, reader_role: str, reader_password: str, timeout: float = 10.0) -> None:
    """Create (or update) the read-only role BI tools log in with: it may connect, use the
    published schema and select from its tables, now and after every later release (the
    loader grants each new release to it); it can neither write nor create anything."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", reader_role):
        raise ServingError(f"the reader role must be a plain lower-case name, got {reader_role!r}")
    with _connect(url, timeout) as pg, pg.transaction(), pg.cursor() as cur:
        role = sql_identifier(reader_role)
        if _role_exists(cur, reader_role):
            cur.execute(f"alter role {role} with login nosuperuser nocreatedb nocreaterole noinherit")
        else:
            cur.execute(f"create role {role} with login nosuperuser nocreatedb nocreaterole noinherit")
        if reader_password:
            # a literal: ALTER ROLE takes no parameters (psycopg quotes it)
            from psycopg import sql

            cur.execute(sql.SQL("alter role {} with password {}").format(sql.Identifier(reader_role), reader_password))
        cur.execute("select current_database()")
        database = cur.fetchone()[0]
        cur.execute(f"grant connect on database {sql_identifier(database)} to {role}")
        cur.execute("revoke create on schema public from public")
        cur.execute(f"revoke all on schema public from {role}")
        for schema in (SCHEMA, PREVIOUS):
            if _schema_exists(cur, schema):
                cur.execute(f"grant usage on schema {schema} to {role}")
                cur.execute(f"grant select on all tables in schema {schema} to {role}")
        cur.execute(f"alter default privileges grant select on tables to {role}")


def table_fingerprints(con, engine: str, tables: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """(rows, checksum of the key columns) per table, computed the same way in DuckDB and in
    PostgreSQL: the sum of the first 32 bits of each row's key's MD5."""
    out = {}
    for table, key in tables.items():
        text = " || '|' || ".join(f"coalesce(cast({sql_identifier(c)} as varchar), '')" for c in key) if key else "''"
        if engine == "duckdb":
            bits = f"cast(('0x' || left(md5({text}), 8)) as bigint)"
            sql = f"select count(*), coalesce(sum({bits}), 0) from marts.{sql_identifier(table)}"
            out[table] = tuple(int(v) for v in con.execute(sql).fetchone())
        else:
            bits = f"('x' || left(md5({text}), 8))::bit(32)::bigint"
            with con.cursor() as cur:
                cur.execute(f"select count(*), coalesce(sum({bits}), 0) from marts.{sql_identifier(table)}")
                out[table] = tuple(int(v) for v in cur.fetchone())
    return out


def compare_with_release(url: str, release_dir: Path, manifest: Path, timeout: float = 10.0) -> list[str]:
    """Each table's row count and key checksum in the serving database against the release;
    the differences, one line each (empty when they match)."""
    duck = duckdb.connect(str(release_dir / "warehouse.duckdb"), read_only=True)
    try:
        keys = mart_keys(manifest)
        tables = {t: list(keys.get(t, [])) for t, _ in _tables(duck)}
        expected = table_fingerprints(duck, "duckdb", tables)
    finally:
        duck.close()
    with _connect(url, timeout) as pg:
        got = table_fingerprints(pg, "postgres", tables)
    return [
        f"{t}: release {expected[t][0]} rows (key sum {expected[t][1]}), database {got[t][0]} rows (key sum {got[t][1]})"
        for t in tables
        if expected[t] != got[t]
    ]
