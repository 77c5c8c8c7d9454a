"""Land hand-written portal records and run the real dbt project over them."""

from __future__ import annotations

import subprocess
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb

from connectors.personal import scrub_dossier
from connectors.portal import Page, page_to_arrow
from orchestration.defs.dbt import project
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


def run_dbt(settings: Settings, *extra: str) -> subprocess.CompletedProcess:
    """``dbt build`` of the whole project (``extra`` added to its arguments), the models' dbt
    unit tests included, as every test build runs them."""
    args = [*project.dbt_build_args(settings, unit_tests=True), *extra]
    return project.run_dbt(settings, args, _target(settings))


def build_planned(settings: Settings, *extra: str) -> project.PlannedBuild:
    """``dbt build`` as the pipeline builds: the nodes its new data reaches (reach.py),
    recorded when the build succeeds; the models' dbt unit tests included."""
    return project.planned_build(settings, *extra, target=_target(settings), unit_tests=True)


def _target(settings: Settings) -> Path:
    return Path(settings.warehouse).parent / "target"


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
