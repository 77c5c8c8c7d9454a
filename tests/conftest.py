"""Shared fixtures: a sample portal on loopback and settings pointing into tmp_path."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from orchestration.settings import Settings
from sandbox.portal import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Faults, serve
from sandbox.portal_data import PortalData

TEST_HASH_KEY = "test-hash-key"


@pytest.fixture
def make_portal():
    servers = []

    def _make(n_dossiers: int = 600, faults: Faults | None = None, **data_kwargs):
        server = serve(PortalData(n_dossiers=n_dossiers, **data_kwargs), faults or Faults())
        servers.append(server)
        return server

    yield _make
    for server in servers:
        server.stop()


@pytest.fixture
def settings_for(tmp_path):
    def _settings(server, **changes) -> Settings:
        base = Settings(
            portal_url=server.url,
            portal_client_id=DEMO_CLIENT_ID,
            portal_client_secret=DEMO_CLIENT_SECRET,
            warehouse=tmp_path / "warehouse.duckdb",
            publish_dir=tmp_path / "published",
            hash_key=TEST_HASH_KEY,
            start_date=date(2023, 1, 1),
            duckdb_memory_limit="1GB",
            file_stable_seconds=0.0,
        )
        return base.with_(**changes)

    return _settings


@pytest.fixture(scope="session")
def crafted_warehouse(tmp_path_factory):
    """The hand-written department of tests/crafted.py, landed and built by the real dbt project."""
    from tests.crafted import build

    tmp = tmp_path_factory.mktemp("kpi")
    # Thresholds for this department of a handful of records: U2 (12 of 13 quarantined) is
    # withheld at 50 %, U1 (2 of 11) is not; the source rule is off (share 1.0).
    settings = Settings(
        warehouse=tmp / "warehouse.duckdb",
        hash_key="k",
        unit_quarantine_threshold=0.5,
        source_quarantine_threshold=1.0,
        duckdb_memory_limit="1GB",
    )
    build(settings)
    return settings


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server for the serving tests (the ``pgserver`` wheel: the server's
    own binaries, started in a temporary folder); ``new_database()`` gives each test its own
    database and returns its URL (the server's superuser)."""
    import itertools

    # pgserver asks platformdirs for a runtime folder; a CI machine has none set
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))
    import pgserver
    import psycopg

    # its data folder outside pytest's numbered temporary folders, which another pytest run
    # of the same user prunes (the server would vanish under a running session)
    data_dir = Path(tempfile.mkdtemp(prefix="cchc-pg-"))
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    base = server.get_uri()
    counter = itertools.count()

    class Postgres:
        uri = base

        @staticmethod
        def new_database() -> str:
            name = f"cchc_{next(counter)}"
            with psycopg.connect(base, autocommit=True) as con:
                con.execute(f"create database {name}")
            return base.replace("/postgres?", f"/{name}?", 1)

    yield Postgres
    server.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)
