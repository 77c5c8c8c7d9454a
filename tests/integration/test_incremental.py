"""The incremental path gives the marts a full refresh gives (issue: cost that grows with
what is new): after a series of runs that bring new dossier versions (moved mid-read and
re-read through the overlap), a changed file that supersedes its first version, the same
file dropped again under another name and later exports, every mart is row for row what
``dbt build --full-refresh`` makes of the same raw data."""

from __future__ import annotations

import shutil
from datetime import datetime

import duckdb

from orchestration.ingest import client_from_settings, ingest_dossiers, ingest_procedures, ingest_ratings
from orchestration.intake import intake_folder
from orchestration.warehouse import open_warehouse
from sandbox.exports import ExportWriter
from sandbox.portal import Faults
from tests.integration.dbt_helpers import run_dbt


def _marts(settings) -> dict[str, list]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f'select * from marts."{t}" order by all').fetchall() for t in tables}
    finally:
        con.close()


def _round(settings, client, until: datetime | None) -> None:
    with open_warehouse(settings) as con:
        for ingest in (ingest_procedures, ingest_dossiers, ingest_ratings):
            ingest(con, client, settings, **({} if ingest is ingest_procedures else {"until": until}))
        for folder in ("moet", "payments"):
            intake_folder(con, settings, folder)
    done = run_dbt(settings)
    assert done.returncode == 0, done.stdout[-4000:]


def test_incremental_runs_and_a_full_refresh_give_the_same_marts(make_portal, settings_for, tmp_path):
    exports = ExportWriter(tmp_path / "exports", n_dossiers=600, collection_rows=4000)
    exports.write_school_lists()
    written = sorted(exports.write_collections())
    csv_files = [p for p in written if p.suffix == ".csv"]
    moet, payments = tmp_path / "moet", tmp_path / "payments"
    moet.mkdir()
    payments.mkdir()
    server = make_portal(600, Faults(move_every=3, page_cap=97))
    settings = settings_for(
        server,
        moet_dir=moet,
        payments_dir=payments,
        batch_rows=200,
        unit_quarantine_threshold=1.0,
        source_quarantine_threshold=1.0,
    )
    client = client_from_settings(settings)

    # run 1: half of the year; the school lists and the first collection file
    for path in (tmp_path / "exports" / "moet").iterdir():
        shutil.copy(path, moet / path.name)
    first = csv_files[0]
    shutil.copy(first, payments / first.name)
    _round(settings, client, datetime(2024, 6, 30))

    # run 2: the rest of the year (dossiers moved while read, the overlap re-read); the first
    # file changed in place (it supersedes its first version), its first version dropped again
    # under another name (not loaded again), the other exports
    lines = first.read_bytes().splitlines(keepends=True)
    (payments / first.name).write_bytes(b"".join(lines[:2] + lines[12:]))
    shutil.copy(first, payments / f"again_{first.name}")
    for path in written:
        if path != first:
            shutil.copy(path, payments / path.name)
    _round(settings, client, None)

    # run 3: nothing new
    _round(settings, client, None)

    incremental = _marts(settings)
    with open_warehouse(settings, read_only=True) as con:
        versions, files = con.execute(
            "select (select count(*) - count(distinct payload) from raw.portal_dossiers), "
            "(select count(*) from raw.files where status = 'loaded')"
        ).fetchone()
    # re-reads landed; two school lists, both versions of the first file and the others once
    assert versions > 0 and files == 2 + len(written) + 1

    done = run_dbt(settings, "--full-refresh")
    assert done.returncode == 0, done.stdout[-4000:]
    full = _marts(settings)
    assert incremental.keys() == full.keys() and "fct_school_collections" in full and "fct_dossiers" in full
    assert incremental["fct_dossiers"] and incremental["fct_school_collections"]
    for mart, rows in full.items():
        assert incremental[mart] == rows, mart
