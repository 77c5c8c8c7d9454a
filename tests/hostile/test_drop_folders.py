"""The drop folders with real files: a file still being written waits, a zip bomb is
refused before it is inflated, names and cells written from data stay data."""

from __future__ import annotations

import os
import resource
import time
import zipfile
from pathlib import Path

import pytest

from orchestration import intake as intake_module
from orchestration.escaping import UnsafePath, file_stem, inside, put, quoted, text_cell
from orchestration.intake import intake_folder, scan_folder
from orchestration.settings import Settings
from orchestration.warehouse import open_warehouse, raw_zone_of

HEADER = "Mã trường,Mã học sinh,Năm học,Khoản thu,Số tiền,Hình thức thanh toán,Ngày thu,Số biên lai\n"


def settings_for(tmp_path: Path, **changes) -> Settings:
    payments = tmp_path / "payments"
    payments.mkdir(exist_ok=True)
    return Settings(
        warehouse=tmp_path / "wh" / "warehouse.duckdb",
        hash_key="k",
        payments_dir=payments,
        duckdb_memory_limit="1GB",
        **changes,
    )


def files(settings) -> list[tuple]:
    with open_warehouse(settings, read_only=True) as con:
        return con.execute("select path, status, reason_code from raw.files order by path").fetchall()


def test_a_file_still_being_written_waits_for_a_later_run(tmp_path):
    settings = settings_for(tmp_path, file_stable_seconds=30)
    path = Path(settings.payments_dir) / "thu.csv"
    path.write_text(
        HEADER + "S1,HS1,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL1\nS1,HS2,2023-20", encoding="utf-8"
    )  # a half-written last line
    with open_warehouse(settings) as con:
        result = intake_folder(con, settings, "payments")
    assert (result.files_loaded, result.files_rejected, result.files_waiting) == (0, 0, 1)
    assert files(settings) == []
    # complete and untouched for longer than the stable time: read on the next run
    path.write_text(HEADER + "S1,HS1,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL1\n", encoding="utf-8")
    old = time.time() - 60
    os.utime(path, (old, old))
    with open_warehouse(settings) as con:
        result = intake_folder(con, settings, "payments")
    assert (result.files_loaded, result.rows) == (1, 1)


def test_a_file_that_changes_while_it_is_read_is_not_loaded(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, file_stable_seconds=0)
    path = Path(settings.payments_dir) / "thu.csv"
    path.write_text(HEADER + "S1,HS1,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL1\n", encoding="utf-8")
    real_hash = intake_module.sha256_of

    def hash_while_a_writer_appends(p):
        with open(p, "a", encoding="utf-8") as f:  # another program is still writing it
            f.write("S1,HS2,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL2\n")
        return real_hash(p)

    monkeypatch.setattr(intake_module, "sha256_of", hash_while_a_writer_appends)
    with open_warehouse(settings) as con:
        result = intake_folder(con, settings, "payments")
    assert (result.files_loaded, result.files_waiting) == (0, 1)
    assert files(settings) == []


def test_a_file_not_written_since_it_was_loaded_is_not_read_again(tmp_path, monkeypatch):
    """The register knows a loaded file by its path, size and modification time to the
    nanosecond: unchanged, it is not hashed again; written again (same size, another
    content), it is read and supersedes; a rejected file is read again on every run."""
    settings = settings_for(tmp_path, file_stable_seconds=0)
    path = Path(settings.payments_dir) / "thu.csv"
    path.write_text(HEADER + "S1,HS1,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL1\n", encoding="utf-8")
    (Path(settings.payments_dir) / "hong.csv").write_text("not,an,export\n1,2,3\n", encoding="utf-8")
    real_hash, hashed = intake_module.sha256_of, []

    def counted(p):
        hashed.append(Path(p).name)
        return real_hash(p)

    monkeypatch.setattr(intake_module, "sha256_of", counted)
    with open_warehouse(settings) as con:
        first = intake_folder(con, settings, "payments")
    assert (first.files_loaded, first.files_rejected, sorted(hashed)) == (1, 1, ["hong.csv", "thu.csv"])

    hashed.clear()
    with open_warehouse(settings) as con:
        again = intake_folder(con, settings, "payments")
    assert (again.files_loaded, again.files_already_loaded, again.files_rejected) == (0, 1, 1)
    assert hashed == ["hong.csv"]  # the rejected file is tried again; the loaded one is known

    # the same size, another amount, written again (a later modification time): read, a new version
    hashed.clear()
    stamp = path.stat().st_mtime_ns
    path.write_text(HEADER + "S1,HS1,2023-2024,Học phí,900000,Tiền mặt,05/09/2023,BL1\n", encoding="utf-8")
    os.utime(path, ns=(stamp + 1_000_000, stamp + 1_000_000))
    with open_warehouse(settings) as con:
        changed = intake_folder(con, settings, "payments")
    assert (changed.files_loaded, changed.rows) == (1, 1) and "thu.csv" in hashed
    with open_warehouse(settings, read_only=True) as con:
        versions = con.execute("select count(distinct file_id) from raw.files where path = 'thu.csv'").fetchone()
    assert versions == (2,)


def test_the_sensor_sees_a_file_only_once_it_is_stable(tmp_path):
    from orchestration.defs.ingest.sensors import folder_fingerprint

    settings = settings_for(tmp_path, file_stable_seconds=30)
    empty = folder_fingerprint(settings)
    path = Path(settings.payments_dir) / "thu.csv"
    path.write_text(HEADER, encoding="utf-8")
    assert folder_fingerprint(settings) == empty  # still being written, as far as anyone knows
    old = time.time() - 60
    os.utime(path, (old, old))
    assert folder_fingerprint(settings) != empty


def test_scan_skips_links_and_special_files_and_says_so(tmp_path):
    base = tmp_path / "drop"
    (base / "sub").mkdir(parents=True)
    (base / "sub" / "a.csv").write_text("x", encoding="utf-8")
    os.symlink("/etc/passwd", base / "passwd.csv")
    os.symlink(base / "sub", base / "linked_dir")
    os.mkfifo(base / "fifo.csv")
    scan = scan_folder(base, stable_seconds=0)
    assert [f.rel for f in scan.ready] == ["sub/a.csv"]
    assert scan.skipped == [
        '"fifo.csv": not a regular file',
        '"linked_dir": a symbolic link (not followed)',
        '"passwd.csv": a symbolic link (not followed)',
    ]


def test_a_zip_bomb_is_refused_from_its_directory_in_bounded_time_and_memory(tmp_path):
    settings = settings_for(tmp_path, file_stable_seconds=0)
    bomb = Path(settings.payments_dir) / "thu.xlsx"
    chunk = b"<row><c><v>0</v></c></row>" * 40_000  # ~1 MB of XML
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet,
    ):
        for _ in range(600):  # 600 MB inflated
            sheet.write(chunk)
    assert bomb.stat().st_size < 20 << 20
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with open_warehouse(settings) as con:
        result = intake_folder(con, settings, "payments")
    assert time.monotonic() - started < 10
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) < 200_000  # KiB: nothing inflated
    assert result.files_rejected == 1
    assert files(settings) == [("thu.xlsx", "rejected", "workbook_too_large")]


def test_a_workbook_that_kills_its_reader_is_rejected_and_the_next_run_goes_on(tmp_path):
    from tests.hostile.test_pipeline_hostile import workbook_with_far_cell

    settings = settings_for(tmp_path, file_stable_seconds=0)
    workbook_with_far_cell(Path(settings.payments_dir) / "far.xlsx", keep_dimension=False)
    (Path(settings.payments_dir) / "thu.csv").write_text(
        HEADER + "S1,HS1,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL1\n", encoding="utf-8"
    )
    for _ in range(2):  # the rejected file is tried again, and rejected again, without harm
        with open_warehouse(settings) as con:
            result = intake_folder(con, settings, "payments")
        assert result.files_rejected == 1
    assert files(settings) == [("far.xlsx", "rejected", "workbook_too_large"), ("thu.csv", "loaded", None)]


def test_file_names_from_codes_are_never_paths(tmp_path):
    for code in ("../../../../escape-unit", "a/b", "..", ".", "", "x" * 300, "C:\\win", "a\nb"):
        name = f"{file_stem(code)}.xlsx"
        assert "/" not in name and "\\" not in name and "\n" not in name and not name.startswith(".")
        assert inside(tmp_path, name).parent == tmp_path
    assert file_stem("000.01.20.H12") == "000.01.20.H12"
    assert file_stem("a/b") != file_stem("a%2Fb")  # distinct codes, distinct files
    with pytest.raises(UnsafePath):
        inside(tmp_path, "../x.xlsx")


def test_cells_from_data_are_never_formulas(tmp_path):
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    values = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "a\x00b"]
    for i, value in enumerate(values, start=1):
        put(ws, i, 1, value)
    wo = Workbook(write_only=True)
    sheet = wo.create_sheet("s")
    sheet.append([text_cell(sheet, v) for v in values])
    wb.save(tmp_path / "a.xlsx")
    wo.save(tmp_path / "b.xlsx")
    for name in ("a.xlsx", "b.xlsx"):
        with zipfile.ZipFile(tmp_path / name) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml
        cells = [c.value for row in load_workbook(tmp_path / name).active.iter_rows() for c in row]
        assert "=1+1" in cells and "a\ufffdb" in cells


def test_log_names_are_quoted_on_one_line():
    assert quoted("bad\nINFO forged.csv") == '"bad\\nINFO forged.csv"'


def _zone_files(settings) -> list[str]:
    zone = raw_zone_of(settings.warehouse) / "school_collections"
    return sorted(p.name for p in zone.iterdir() if p.name != "_schema.parquet")


def _landed_rows(settings) -> tuple:
    with open_warehouse(settings, read_only=True) as con:
        return con.execute(
            "select (select count(*) from raw.school_collections), (select count(*) from raw.batches), "
            "(select count(*) from raw.files)"
        ).fetchone()


def _stopped_before_the_commit(tmp_path, monkeypatch, killed: bool = False) -> Settings:
    """A one-row CSV whose landing stops before its batch commits; ``killed``: as by
    ``kill -9``, so no cleanup runs."""
    from connectors.exports import CsvPlan
    from orchestration import warehouse

    settings = settings_for(tmp_path, file_stable_seconds=0.0)
    (settings.payments_dir / "thu.csv").write_text(HEADER + "S1,HS1,2023-2024,Học phí,100.000,Tiền mặt,05/01/2024,B1\n")

    def stop(*args, **kwargs):
        raise RuntimeError("the machine stopped")

    with monkeypatch.context() as patch:
        patch.setattr(warehouse, "_insert_file_row", stop)
        if killed:
            patch.setattr(CsvPlan, "discard", lambda self, con: None)
        with open_warehouse(settings) as con, pytest.raises(RuntimeError, match="stopped"):
            intake_folder(con, settings, "payments")
    return settings


def test_a_stop_before_the_commit_lands_nothing_and_the_next_run_lands_the_file_once(tmp_path, monkeypatch):
    """A landed file's rows are a Parquet file in the raw zone (docs/decisions.md): it counts
    only with its committed batch, and nothing of a stopped landing stays behind."""
    import duckdb

    settings = _stopped_before_the_commit(tmp_path, monkeypatch)
    assert _zone_files(settings) == [] and _landed_rows(settings) == (0, 0, 0)

    with open_warehouse(settings) as con:
        assert intake_folder(con, settings, "payments").rows == 1
    (landed,) = _zone_files(settings)
    assert landed.endswith(".parquet") and _landed_rows(settings) == (1, 1, 1)

    # a file renamed whole whose batch never committed is not read, and goes at the next open
    zone = raw_zone_of(settings.warehouse) / "school_collections"
    orphan = "0" * 32
    duckdb.execute(
        f"copy (select * replace ('{orphan}' as _batch_id) from '{zone / landed}') to '{zone / orphan}.parquet'"
    )
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("select count(*) from raw.school_collections").fetchone() == (1,)
    with open_warehouse(settings) as con:
        assert intake_folder(con, settings, "payments").files_already_loaded == 1
    assert _zone_files(settings) == [landed] and _landed_rows(settings) == (1, 1, 1)


def test_what_a_killed_landing_left_in_the_work_folder_goes_at_the_next_intake(tmp_path, monkeypatch):
    """A run killed mid-landing runs no cleanup: the CSV's stage (the student codes as
    received) and a workbook child's folder stay in the work folder. The next intake removes
    them, and nothing else of the folder."""
    import duckdb

    settings = _stopped_before_the_commit(tmp_path, monkeypatch, killed=True)
    work = intake_module.work_dir(settings)
    (stage,) = work.glob("cchc-stage-*.parquet")
    assert duckdb.execute(f"select c1 from '{stage}'").fetchall() == [("HS1",)]
    (work / "cchc-batch-x").mkdir()
    (work / "cchc-batch-x" / "rows.arrow").write_bytes(b"rows")
    (work / "ghi-chu.txt").write_text("the operator's own note")

    with open_warehouse(settings) as con:
        assert intake_folder(con, settings, "payments").rows == 1
    assert sorted(p.name for p in work.iterdir()) == ["ghi-chu.txt"]


def test_a_warehouse_made_before_the_raw_zone_keeps_its_landed_rows(tmp_path):
    import duckdb

    from orchestration.warehouse import DDL, STORED

    settings = settings_for(tmp_path)
    settings.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create schema raw")
    old = next(stmt for stmt in DDL if f"raw.school_collections{STORED} (" in stmt)
    con.execute(old.replace(f"school_collections{STORED}", "school_collections"))
    con.execute(
        "insert into raw.school_collections values ('b', 1, 1, now(), 'thu.csv', null, 2, 'f', 'S1', 'h', "
        "'2023-2024', 'Học phí', '100.000', 'Tiền mặt', '05/01/2024', 'B1')"
    )
    con.close()
    with open_warehouse(settings) as con:
        assert con.execute("select ma_truong from raw.school_collections").fetchall() == [("S1",)]
        assert con.execute(f"select count(*) from raw.school_collections{STORED}").fetchone() == (1,)
