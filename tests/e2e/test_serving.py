"""Serving: readers querying continuously through repeated publications see whole
publications only, and never an error — a reader that reconnects for every query (as an
analyst's script does) and a BI-style client holding one SQLAlchemy connection open
(duckdb-engine, the driver Superset uses)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import duckdb

from orchestration.publish import publish

READER = r"""
import json, sys, time
from pathlib import Path
path, mode, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3])
QUERY = ("select r.release_id, (select sum(numerator) from marts.kpi_scorecard) as checksum, "
         "(select count(*) from marts.kpi_scorecard) as n from marts.release_info r")
seen, errors, queries = {}, [], 0
if mode == "sqlalchemy":
    from sqlalchemy import create_engine, text
    engine = create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    conn = engine.connect()  # held open for the whole test, as a dashboard does
while not stop.exists():
    try:
        if mode == "sqlalchemy":
            row = tuple(conn.execute(text(QUERY)).fetchone())
        else:
            import duckdb
            con = duckdb.connect(path, read_only=True)
            try:
                row = con.execute(QUERY).fetchone()
            finally:
                con.close()
        seen.setdefault(row[0], set()).add((int(row[1]), int(row[2])))
        queries += 1
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.01)
print(json.dumps({"seen": {k: sorted(v) for k, v in seen.items()}, "errors": errors, "queries": queries}))
"""


def test_readers_see_whole_publications_only(crafted_warehouse, tmp_path):
    settings = crafted_warehouse.with_(warehouse=tmp_path / "working.duckdb", publish_dir=tmp_path / "published")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    expected = {}

    def publish_changed(step: int) -> None:
        con = duckdb.connect(str(settings.warehouse))
        con.execute(
            "update marts.kpi_scorecard set numerator = numerator + 1 "
            "where unit_code = 'ALL' and period_key = '2024' and numerator is not null"
        )
        con.close()
        release = publish(settings, release_id=f"r{step:02d}")
        con = duckdb.connect(str(release.path / "warehouse.duckdb"), read_only=True)
        expected[release.release_id] = con.execute(
            "select sum(numerator), count(*) from marts.kpi_scorecard"
        ).fetchone()
        con.close()

    publish_changed(0)
    stop = tmp_path / "stop"
    published = str(settings.publish_dir / "warehouse.duckdb")
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, published, mode, str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("reconnect", "sqlalchemy")
    }
    time.sleep(1.5)
    for step in range(1, 6):
        publish_changed(step)
        time.sleep(0.4)
    stop.touch()
    results = {}
    for mode, proc in readers.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results[mode] = json.loads(out)

    for mode, result in results.items():
        assert result["errors"] == [], (mode, result["errors"][:3])
        assert result["queries"] > 10, mode
        for release_id, figures in result["seen"].items():
            # each answer belongs wholly to one publication: its id and its figures agree
            assert [tuple(f) for f in figures] == [tuple(expected[release_id])], (mode, release_id)
    assert len(results["reconnect"]["seen"]) >= 3  # it followed the publications
    assert list(results["sqlalchemy"]["seen"]) == ["r00"]  # the held connection kept its release
    assert (settings.publish_dir / "current").resolve().name == "r05"
    assert (settings.publish_dir / "previous").resolve().name == "r04"


def test_parquet_marts_match_the_duckdb_file(crafted_warehouse, tmp_path):
    """Every Parquet file holds its mart's rows: in a first release, and in the next one where
    a fact's files changed, so its Parquet file was spliced from the first's by parts."""
    settings = crafted_warehouse.with_(warehouse=tmp_path / "working.duckdb", publish_dir=tmp_path / "published")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    fact, files = "fct_school_collections", ["payments/a.csv", "payments/b.xlsx", "payments/c.csv"]
    with duckdb.connect(str(settings.warehouse)) as con:  # the crafted department has no collections: three files
        con.execute(
            f"insert into marts.{fact} by name select 'S' || (i % 7) as school_code, '2024-2025' as school_year, "
            "i * 1000 as amount, 'chuyen_khoan' as method, false as is_cash, date '2024-09-01' + (i % 30)::int as collected_on, "
            "(?::varchar[])[i % 3 + 1] as source_file, i as source_row from range(3000) as t(i)",
            [files],
        )
    for release_no in (1, 2):
        if release_no == 2:  # a file's rows changed, another's were superseded, a new file came
            with duckdb.connect(str(settings.warehouse)) as con:
                con.execute(f"update marts.{fact} set amount = amount + 1 where source_file = ?", [files[0]])
                con.execute(f"delete from marts.{fact} where source_file = ?", [files[1]])
                con.execute(
                    f"insert into marts.{fact} by name select * replace ('new.xlsx' as source_file) "
                    f"from marts.{fact} where source_file = ?",
                    [files[2]],
                )
        release = publish(settings)
        con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
        try:
            for mart, rows in release.tables.items():
                parquet = settings.publish_dir / "parquet" / f"{mart}.parquet"
                assert con.execute(f"select count(*) from '{parquet}'").fetchone()[0] == rows
                diff = con.execute(
                    f"select count(*) from (select * from marts.{mart} except all select * from '{parquet}')"
                ).fetchone()[0]
                assert diff == 0, mart
        finally:
            con.close()
        index = json.loads((release.path / "release.json").read_text())["parquet_parts"][fact]
        expected = {*files[:1], *files[2:], "new.xlsx"} if release_no == 2 else set(files)
        assert sorted(entry[0] for entry in index) == sorted(expected)


def test_drill_down_from_a_kpi_to_its_dossiers(crafted_warehouse, tmp_path):
    """The analysts' guide's drill-down gives exactly the scorecard's figures."""
    settings = crafted_warehouse.with_(warehouse=tmp_path / "working.duckdb", publish_dir=tmp_path / "published")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    publish(settings)
    con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        for kpi, denominator_filter, numerator_filter, date_col in [
            ("online_dossier_rate", "is_received", "is_online", "received_date"),
            ("on_time_rate", "is_ended", "is_on_time", "ended_date"),
            (
                "no_resupply_rate",
                "is_received and replaceable_components > 0",
                "replaceable_reused = replaceable_components",
                "received_date",
            ),
        ]:
            scorecard = con.execute(
                "select period_start, period_end, numerator, denominator from marts.kpi_scorecard "
                "where kpi_code = ? and period_type = 'month' and unit_code = '000.01.20.H12'",
                [kpi],
            ).fetchall()
            assert scorecard, kpi
            for start, end, numerator, denominator in scorecard:
                drilled = con.execute(
                    f"select count(*) filter (where {numerator_filter}), count(*) from marts.fct_dossiers "
                    f"where {denominator_filter} and {date_col} between ? and ? and unit_code = '000.01.20.H12'",
                    [start, end],
                ).fetchone()
                assert drilled == (numerator, denominator), (kpi, start)
    finally:
        con.close()
