"""The serving database against a real PostgreSQL server (``postgres`` fixture: the pgserver
wheel): every mart loaded exactly, comments and keys kept, a read-only role for BI tools,
readers that never see a half-switched release, rollback of files and database together."""

from __future__ import annotations

import shutil
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from sqlalchemy import create_engine, text

from orchestration.defs.dbt.project import manifest_path
from orchestration.publish import publish, rollback_files
from orchestration.serving import compare_with_release, init_roles, load_release, mart_keys, served_release

READER, PASSWORD = "cchc_reader", "doc-chi-mat-khau"


@pytest.fixture
def department(crafted_warehouse, tmp_path, postgres):
    """A private copy of the crafted department, its own publication folder and database."""
    settings = crafted_warehouse.with_(
        warehouse=tmp_path / "working.duckdb",
        publish_dir=tmp_path / "published",
        serving_url=postgres.new_database(),
    )
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    return settings


def _load(settings) -> str:
    release = publish(settings)
    loaded = load_release(settings.serving_url, release.path, manifest_path(), READER)
    assert loaded.release_id == release.release_id
    return release.release_id


def _exact(value):
    """A value as compared across engines: a double by its shortest text (what numeric keeps)."""
    return Decimal(repr(value)) if isinstance(value, float) else value


def test_every_mart_is_loaded_with_its_values_keys_and_comments(department):
    release_id = _load(department)
    release = (department.publish_dir / "current").resolve()
    assert compare_with_release(department.serving_url, release, manifest_path()) == []
    duck = duckdb.connect(str(release / "warehouse.duckdb"), read_only=True)
    keys = mart_keys(manifest_path())
    with psycopg.connect(department.serving_url) as pg:
        marts = [
            t for (t,) in duck.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        served = [t for (t,) in pg.execute("select tablename from pg_tables where schemaname = 'marts'").fetchall()]
        assert sorted(marts) == sorted(served) and "release_info" in served
        for table in marts:  # a sample of rows per mart, value for value
            order = ", ".join(f'"{c}"' for c in keys.get(table, [])) or "1"
            want = duck.execute(f'select * from marts."{table}" order by {order} limit 50').fetchall()
            got = pg.execute(f'select * from marts."{table}" order by {order} limit 50').fetchall()
            assert [tuple(map(_exact, r)) for r in got] == [tuple(map(_exact, r)) for r in want], table
        # every cell of the scorecard, exact (a ratio is numeric in PostgreSQL)
        query = "select * from marts.kpi_scorecard order by period_type, period_key, unit_code, kpi_code"
        want, got = duck.execute(query).fetchall(), pg.execute(query).fetchall()
        assert len(got) == len(want) > 100
        for w, g in zip(want, got):
            assert tuple(map(_exact, w)) == tuple(g)
        types = dict(
            pg.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'kpi_scorecard'"
            ).fetchall()
        )
        assert types["numerator"] == "bigint" and types["value"] == "numeric" and types["period_start"] == "date"
        assert pg.execute("select release_id from marts.release_info").fetchone()[0] == release_id
        comment = pg.execute("select obj_description('marts.kpi_scorecard'::regclass)").fetchone()[0]
        assert comment and comment.startswith("Bảng chỉ số CCHC")
        assert (
            pg.execute(
                "select count(*) from pg_constraint c join pg_namespace n on n.oid = c.connamespace "
                "where n.nspname = 'marts' and c.contype = 'p' and c.conrelid = 'marts.kpi_scorecard'::regclass"
            ).fetchone()[0]
            == 1
        )
    duck.close()


def test_the_reader_role_reads_every_release_and_writes_nothing(department):
    _load(department)
    init_roles(department.serving_url, READER, PASSWORD)
    _load(department)  # a later release: the role keeps its rights on it
    reader_url = department.serving_url.replace("postgresql://postgres:@", f"postgresql://{READER}:{PASSWORD}@")
    with psycopg.connect(reader_url, autocommit=True) as pg:
        assert pg.execute("select current_user").fetchone()[0] == READER
        assert pg.execute("select count(*) from marts.kpi_scorecard").fetchone()[0] > 0
        for statement in (
            "insert into marts.release_info (release_id) values ('x')",
            "delete from marts.kpi_scorecard",
            "create table marts.mine (x int)",
            "create table public.mine (x int)",
            "drop table marts.release_info",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                pg.execute(statement)
    # the way BI servers come in: SQLAlchemy's PostgreSQL engine, as Superset and Metabase's drivers
    engine = create_engine(reader_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as con:
        rows = con.execute(text("select kpi_code, value from marts.kpi_scorecard where unit_code = 'ALL'")).fetchall()
    engine.dispose()
    assert rows and all(isinstance(v, Decimal) or v is None for _, v in rows)


def test_readers_never_see_a_mix_of_releases_across_three_publications(department):
    _load(department)
    expected: dict[str, int] = {}
    with psycopg.connect(department.serving_url) as pg:
        release, count = pg.execute(
            "select (select release_id from marts.release_info), (select count(*) from marts.kpi_scorecard)"
        ).fetchone()
    expected[release] = count
    seen, errors, stop = [], [], threading.Event()
    query = "select (select release_id from marts.release_info), (select count(*) from marts.kpi_scorecard)"

    def held():
        with psycopg.connect(department.serving_url, autocommit=True) as pg:
            while not stop.is_set():
                try:
                    seen.append(pg.execute(query).fetchone())
                except psycopg.Error as exc:
                    errors.append(str(exc))

    def fresh():
        while not stop.is_set():
            try:
                with psycopg.connect(department.serving_url, autocommit=True) as pg:
                    seen.append(pg.execute(query).fetchone())
            except psycopg.Error as exc:
                errors.append(str(exc))

    readers = [threading.Thread(target=held), threading.Thread(target=fresh)]
    for reader in readers:
        reader.start()
    try:
        for n in range(3):
            # each publication different: fewer scorecard rows in the working warehouse
            con = duckdb.connect(str(department.warehouse))
            con.execute(
                "delete from marts.kpi_scorecard where rowid in (select rowid from marts.kpi_scorecard limit ?)",
                [7 + n],
            )
            count = con.execute("select count(*) from marts.kpi_scorecard").fetchone()[0]
            con.close()
            expected[_load(department)] = count
            time.sleep(0.3)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert errors == []
    assert len(seen) > 20 and {r for r, _ in seen} <= set(expected) and len({r for r, _ in seen}) >= 2
    assert all(expected[release] == count for release, count in seen), "a reader saw a mix of two releases"


def test_rollback_switches_the_files_and_the_database_back_together(department, monkeypatch, capsys):
    from orchestration.cli import main

    first = _load(department)
    second = _load(department)
    assert served_release(department.serving_url) == second
    monkeypatch.setenv("CCHC_PUBLISH_DIR", str(department.publish_dir))
    monkeypatch.setenv("CCHC_SERVING_URL", department.serving_url)
    assert main(["rollback"]) == 0
    assert (department.publish_dir / "current").resolve().name == first
    assert served_release(department.serving_url) == first
    out = capsys.readouterr().out
    assert first in out and department.serving_url not in out
    # and forward again: rollback is a switch between the two
    assert rollback_files(Path(department.publish_dir)) == second


def test_serving_init_creates_the_reader_without_printing_secrets(department, monkeypatch, capsys):
    from orchestration.cli import main

    _load(department)
    monkeypatch.setenv("CCHC_SERVING_URL", department.serving_url)
    monkeypatch.delenv("CCHC_SERVING_READER_PASSWORD", raising=False)
    assert main(["serving", "init"]) == 2  # no password: said in one line, nothing done
    monkeypatch.setenv("CCHC_SERVING_READER_PASSWORD", PASSWORD)
    assert main(["serving", "init"]) == 0
    assert main(["serving", "init"]) == 0  # idempotent
    printed = capsys.readouterr()
    assert PASSWORD not in printed.out + printed.err and READER in printed.out
    with psycopg.connect(department.serving_url) as pg:
        assert pg.execute("select rolcanlogin, rolsuper from pg_roles where rolname = %s", [READER]).fetchone() == (
            True,
            False,
        )
