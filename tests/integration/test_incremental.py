"""The incremental path gives the marts a full refresh gives (issue: cost that grows with
what is new): after a series of runs that bring new dossier versions (moved mid-read and
re-read through the overlap), a changed file that supersedes its first version, the same
file dropped again under another name, later exports, a payment export for dossiers counted
before and a changed procedure catalogue, over tables first built without their bookkeeping
columns, every mart is row for row what ``dbt build --full-refresh`` makes of the same raw
data."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from datetime import datetime

import duckdb

from orchestration.ingest import client_from_settings, ingest_dossiers, ingest_procedures, ingest_ratings
from orchestration.intake import intake_folder
from orchestration.publish import BOOKKEEPING, publish, published_marts
from orchestration.warehouse import open_warehouse
from sandbox.exports import ExportWriter
from sandbox.portal import Faults
from tests.integration.dbt_helpers import build_planned, run_dbt


def _marts(path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    catalog = con.execute("select current_database()").fetchone()[0]
    try:
        # what is published: every mart, without the incremental build's bookkeeping columns
        return {
            t: con.execute(
                f'select columns(c -> not starts_with(c, ?)) from marts."{t}" order by all', [BOOKKEEPING]
            ).fetchall()
            for t in published_marts(con, catalog)
            if t != "release_info"
        }
    finally:
        con.close()


def _cells(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8-sig")]))


def _partner_file(path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *rows])


def _round(settings, client, until: datetime | None) -> None:
    with open_warehouse(settings) as con:
        for ingest in (ingest_procedures, ingest_dossiers, ingest_ratings):
            ingest(con, client, settings, **({} if ingest is ingest_procedures else {"until": until}))
        for folder in ("moet", "payments"):
            intake_folder(con, settings, folder)
    built = build_planned(settings)  # as the pipeline builds: what the new data reaches
    assert built.done.returncode == 0, built.done.stdout[-4000:]
    print(built.plan.describe())
    # the release, started from the one before (a mart changed in a few files: those files'
    # rows replaced), holds what the warehouse holds
    release = publish(settings)
    assert _marts(release.path / "warehouse.duckdb") == _marts(settings.warehouse)
    updates = json.loads((release.path / "release.json").read_text())["mart_updates"]
    return updates


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

    # run 1: half of the year; the first collection file, before any ministry school list
    # (every school unknown)
    older, newer = sorted((tmp_path / "exports" / "moet").glob("danh_sach_truong_*"))
    first = csv_files[0]
    shutil.copy(first, payments / first.name)
    assert set(_round(settings, client, datetime(2024, 6, 30)).values()) == {"written"}  # nothing published before
    # run 2: the rest of the year (dossiers moved while read, the overlap re-read); the older
    # school list (its schools become known: every collection row checked again); the first
    # file changed in place (it supersedes its first version), its first version dropped
    # again under another name (not loaded again), the other exports, and another partner's
    # file with a row of a school only the newer list has (unknown until run 3)
    shutil.copy(older, moet / older.name)
    lines = first.read_bytes().splitlines(keepends=True)
    (payments / first.name).write_bytes(b"".join(lines[:2] + lines[12:]))
    shutil.copy(first, payments / f"again_{first.name}")
    for path in written:
        if path != first:
            shutil.copy(path, payments / path.name)
    header, row_20, row_21, row_30 = (_cells(lines[i]) for i in (0, 20, 21, 30))
    opened = exports.schools[-1].code  # opened in the second year: only in the newer list
    _partner_file(payments / "thu_hoc_phi_doi_tac_C_2024.csv", header, [[*row_30[:1], opened, *row_30[2:8], "BL-C-1"]])
    assert _round(settings, client, None)["fct_school_collections"] == "by parts"

    # the warehouse as a version before the bookkeeping columns left it: every incremental
    # model is rebuilt whole once on the next run (not added to), then goes on incrementally
    with open_warehouse(settings) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.columns "
            "where column_name = '_checked_at' and table_schema in ('intermediate', 'marts')"
        ).fetchall()
        assert len(tables) >= 10  # the collections' two models and the portal's dossier chain
        for (table,) in tables:
            con.execute(f"alter table {table} drop column _checked_at")

    # run 3: the newer school list (the opened schools known, attributions change); the
    # portal's catalogue changes a procedure's level and full-online eligibility (every
    # dossier checked again)
    shutil.copy(newer, moet / newer.name)
    procedures = server.state.data.procedures
    procedures[0] = replace(procedures[0], level="4" if procedures[0].level != "4" else "3", eligible_full="1")
    _round(settings, client, None)

    # run 4: a third partner's file repeating two receipts of the first file, one exactly (set
    # aside) and one with another amount (both copies quarantined: a row of a file that did
    # not change changes outcome)
    _partner_file(payments / "thu_hoc_phi_doi_tac_D_2024.csv", header, [row_20, [*row_21[:5], "999000", *row_21[6:]]])
    # and the fee payments' export (dossiers counted before become paid online)
    paid = exports.write_payments()
    for path in paid:
        shutil.copy(path, payments / path.name)
    _round(settings, client, None)

    # run 5: nothing new, but the suspected over-collections as summed against another fee
    # schedule (their inputs' digest not today's): every school is summed again
    with open_warehouse(settings) as con:
        over = con.execute(
            "update marts.school_over_collections set _inputs_digest = 'an older schedule', "
            "max_per_student = max_per_student - 1, excess_amount = excess_amount + 1"
        ).fetchone()[0]
        assert over > 0
    fifth = _round(settings, client, None)
    # every mart kept as published, but the batches' reconciliation: this run's reads are batches too
    assert [mart for mart, how in fifth.items() if how != "kept"] == ["reconciliation"]

    incremental = _marts(settings.warehouse)
    with open_warehouse(settings, read_only=True) as con:
        versions, files = con.execute(
            "select (select count(*) - count(distinct payload) from raw.portal_dossiers), "
            "(select count(*) from raw.files where status = 'loaded')"
        ).fetchone()
    # re-reads landed; two school lists, both versions of the first file, the others, the two
    # hand-made partners' and the payments' once
    assert versions > 0 and files == 2 + len(written) + 3 + len(paid)

    done = run_dbt(settings, "--full-refresh")
    assert done.returncode == 0, done.stdout[-4000:]
    full = _marts(settings.warehouse)
    assert incremental.keys() == full.keys() and "fct_school_collections" in full and "fct_dossiers" in full
    assert incremental["fct_dossiers"] and incremental["fct_school_collections"]
    for mart, rows in full.items():
        assert incremental[mart] == rows, mart
    assert _marts(settings.publish_dir / "warehouse.duckdb") == full  # and so is the release


def test_a_rating_is_checked_again_with_its_dossier_and_its_copies(tmp_path):
    """``int_portal__ratings_checked`` takes again only the ratings a run can change: a rating
    of a dossier not landed yet (unknown, quarantined) counts once its dossier lands, a
    re-read copy with a new level replaces the counting copy, a dossier moved to another unit
    moves its ratings, and the others keep the rows (and stamps) of the run that checked them;
    then a full refresh gives the same rows."""
    from orchestration.settings import Settings
    from tests.crafted import PROCEDURES, U1, U2, A, B, C, dossier, rating
    from tests.integration.dbt_helpers import land, query

    settings = Settings(
        warehouse=tmp_path / "warehouse.duckdb",
        hash_key="k",
        duckdb_memory_limit="1GB",
        unit_quarantine_threshold=1.0,
        source_quarantine_threshold=1.0,  # a handful of records: one unknown dossier is a quarter
    )
    land(settings, "thu-tuc", PROCEDURES)
    land(settings, "ho-so", [A, B, C])
    land(settings, "danh-gia", [rating("R1", "A", "20240406090000", "1"), rating("R2", "LATE", "20240407080000", "1")])
    land(settings, "danh-gia", [rating("R3", "B", "20240326080000", "3"), rating("R4", "C", "20240326080000", "2")])
    assert build_planned(settings).done.returncode == 0
    checked = "select rating_key, unit_code, set_aside_reason, reason_codes, _checked_at from intermediate.int_portal__ratings_checked"
    first = {r[0]: r for r in query(settings, checked + " order by all")}
    assert first["R2"][3] == "rating_dossier_unknown"

    # the rated dossier lands, R3 is re-read with another level, B moves to the other unit
    land(settings, "ho-so", [dossier("LATE", DonViXuLy=U1), {**B, "DonViXuLy": U2 if B["DonViXuLy"] != U2 else U1}])
    land(settings, "danh-gia", [rating("R3", "B", "20240326080000", "2")])
    assert build_planned(settings).done.returncode == 0
    second = query(settings, checked + " order by all")
    again = {r[0] for r in second if r[4] != first[r[0]][4]}
    assert again == {"R2", "R3"}  # R1 (dossier A) and R4 (dossier C) kept as checked
    assert {r[0]: r[3] for r in second if r[2] is None}["R2"] == ""  # counts now
    assert [r for r in second if r[0] == "R3" and r[2] is None][0][1] != first["R3"][1]  # B's new unit

    assert run_dbt(settings, "--full-refresh").returncode == 0
    full = query(settings, checked.replace(", _checked_at", "") + " order by all")
    assert [r[:4] for r in second] == full
