"""Land hand-written portal records and run the real dbt project over them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb

from connectors.personal import scrub_dossier
from connectors.portal import Page, page_to_arrow
from orchestration.defs.dbt.project import (
    DBT_DIR,
    dbt_build_args,
    dbt_env,
    ensure_manifest,
    plan_dbt_build,
    record_dbt_build,
)
from orchestration.settings import Settings
from orchestration.warehouse import connect, ensure_raw, land_batch

SOURCES = {
    "thu-tuc": ("portal.thu-tuc", "portal_procedures"),
    "ho-so": ("portal.ho-so", "portal_dossiers"),
    "danh-gia": ("portal.danh-gia", "portal_ratings"),
}


def land(settings: Settings, endpoint: str, records: list[dict]) -> None:
    """Land records as one batch, the way the ingest does (personal data scrubbed)."""
    source, table = SOURCES[endpoint]
    scrub = partial(scrub_dossier, key=settings.hash_key.encode()) if endpoint == "ho-so" else None
    page = Page(endpoint, f"http://portal.test/api/v1/{endpoint}?page=1", 1, records)
    con = connect(settings.warehouse)
    try:
        ensure_raw(con)
        land_batch(con, source=source, table=table, pages=[page_to_arrow(page, scrub)], started_at=datetime.now())
    finally:
        con.close()


def run_dbt(settings: Settings, *extra: str, plan: bool = False) -> subprocess.CompletedProcess:
    """``dbt build`` of the whole project; with ``plan``, as the pipeline builds: the nodes its
    new data reaches (reach.py), recorded when the build succeeds."""
    env = {**os.environ, **dbt_env(settings)}
    dbt = Path(sys.executable).with_name("dbt")
    manifest = ensure_manifest() if plan else None
    planned = plan_dbt_build(settings, manifest, "--full-refresh" in extra) if plan else None
    done = subprocess.run(
        [
            str(dbt),
            *dbt_build_args(
                settings, unit_tests=True, plan=planned
            ),  # the models' dbt unit tests run in every test build
            *extra,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(Path(settings.warehouse).parent / "target"),
        ],
        env=env,
        cwd=DBT_DIR,
        capture_output=True,
        text=True,
    )
    if planned is not None and done.returncode == 0:
        record_dbt_build(settings, manifest, planned)
    done.plan = planned
    return done


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
