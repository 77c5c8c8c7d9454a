"""The whole pipeline, through the Dagster definitions, on a small generated year served by
the sample portal with every fault switched on."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.definitions import PIPELINE_JOB, build_definitions
from orchestration.runner import run_pipeline
from sandbox.portal import DEMO_CLIENT_SECRET, Faults
from tests.conftest import TEST_HASH_KEY

DOSSIERS = 1500


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from datetime import date

    from orchestration.settings import Settings
    from sandbox.portal import DEMO_CLIENT_ID, serve
    from sandbox.portal_data import PortalData

    tmp = tmp_path_factory.mktemp("pipeline")
    server = serve(PortalData(n_dossiers=DOSSIERS), Faults.all_on())
    settings = Settings(
        portal_url=server.url,
        portal_client_id=DEMO_CLIENT_ID,
        portal_client_secret=DEMO_CLIENT_SECRET,
        warehouse=tmp / "warehouse.duckdb",
        publish_dir=tmp / "published",
        hash_key=TEST_HASH_KEY,
        start_date=date(2023, 1, 1),
        duckdb_memory_limit="1GB",
        batch_rows=500,
    )
    handler = _Capture()
    logging.getLogger().addHandler(handler)
    try:
        first = run_pipeline(settings)
        first_release = (settings.publish_dir / "current").resolve()
        # The second run must read the same data: dossiers stop moving (other faults stay on).
        server.state.faults.move_every = 0
        second = run_pipeline(settings)
    finally:
        logging.getLogger().removeHandler(handler)
    yield {
        "settings": settings,
        "server": server,
        "ok": (first, second),
        "first_release": first_release,
        "logs": "\n".join(handler.lines),
    }
    server.stop()


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def _published(settings, sql):
    con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_definitions_load(tmp_path):
    from orchestration.settings import Settings

    defs = build_definitions(Settings(warehouse=tmp_path / "w.duckdb"))
    job = defs.resolve_job_def(PIPELINE_JOB)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for key in (
        "raw/portal_dossiers",
        "raw/portal_procedures",
        "raw/portal_ratings",
        "kpi_scorecard",
        "quarantine",
        "fct_dossiers",
        "dim_units",
        "published/release",
    ):
        assert key in keys, key
    assert job.executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("cchc_daily")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    graph = defs.resolve_asset_graph()
    for key in ("raw/portal_dossiers", "kpi_scorecard", "published/release"):
        node = graph.get(__import__("dagster").AssetKey(key.split("/")))
        assert node.pools == {"warehouse"} or getattr(node, "pool", None) == "warehouse", key


def test_source_locations_outlive_the_run(run):
    """A record's source is the page's path and query: the sample portal's port (gone
    after the run) is in no record; the publication names the base URL once."""
    settings = run["settings"]
    for table in ("fct_dossiers", "fct_ratings", "data_warnings"):
        urls = _published(settings, f"select distinct source_url from marts.{table}")
        assert urls and all(u.startswith("/api/v1/") and "://" not in u for (u,) in urls), (table, urls[:3])
    portal = _published(settings, "select distinct source_url from marts.quarantine where source_name like 'portal.%'")
    assert portal and all(u.startswith("/api/v1/") for (u,) in portal)
    assert _published(settings, "select portal_base_url from marts.release_info") == [(settings.portal_url,)]


def test_both_runs_publish(run):
    assert run["ok"] == (True, True)
    published = run["settings"].publish_dir
    assert (published / "warehouse.duckdb").is_file()
    for mart in ("kpi_scorecard", "quarantine", "fct_dossiers", "fct_ratings", "dim_procedures", "dim_units"):
        assert (published / "parquet" / f"{mart}.parquet").is_file(), mart
    assert (published / "previous").resolve() == run["first_release"]


def test_the_second_run_builds_what_is_new_and_every_test_still_gates_publication(run):
    """The second run leaves out of the dbt build what nothing new reaches
    (orchestration/defs/dbt/reach.py); a test left out still gates the publication (its
    result is the last build's pass on the same rows, marked reused), so Dagster never
    publishes without one."""
    built = re.findall(r"dbt: building (\d+) of (\d+) nodes", run["logs"])
    assert len(built) == 1 and int(built[0][0]) < int(built[0][1]), built  # the first run builds every node
    assert "building every node (no complete build recorded" in run["logs"]
    assert "emitted no result" not in run["logs"]


def test_unchanged_marts_are_linked_not_written_again(run):
    """A mart whose rows did not change is published as the previous release's Parquet file,
    hard-linked (a published file is never changed); a changed one is written anew."""
    import json

    first, second = run["first_release"], (run["settings"].publish_dir / "current").resolve()
    before, after = (json.loads((r / "release.json").read_text())["fingerprints"] for r in (first, second))
    tables = json.loads((second / "release.json").read_text())["tables"]
    same = [mart for mart, print_ in after.items() if before.get(mart) == print_]
    assert "dim_kpis" in same and set(after) == set(tables)
    for mart in after:
        old, new = first / "parquet" / f"{mart}.parquet", second / "parquet" / f"{mart}.parquet"
        assert old.samefile(new) == (mart in same), mart
        assert duckdb.execute(f"select count(*) from '{new}'").fetchone() == (tables[mart],), mart


def test_unchanged_feedback_is_linked_not_written_again(run, tmp_path):
    """A unit whose workbook would say what the current release's says is sent that file,
    hard-linked; a unit whose rows changed gets a new workbook."""
    import json

    from orchestration.feedback import write_feedback

    settings = run["settings"]
    first, second = run["first_release"], (settings.publish_dir / "current").resolve()
    before, after = (json.loads((r / "release.json").read_text())["feedback_prints"] for r in (first, second))
    assert set(after) == set(json.loads((second / "release.json").read_text())["feedback_units"])
    assert len({p.name for p in (second / "feedback").iterdir()}) == len(after)
    # the same marts written again, with one unit's print in the release before changed
    changed = sorted(after)[0]
    con = duckdb.connect(str(second / "warehouse.duckdb"), read_only=True)
    try:
        again = write_feedback(con, tmp_path / "fb", settings.department_name, settings.parent_body,
                               before=second / "feedback", prints_before={**after, changed: "another"})  # fmt: skip
    finally:
        con.close()
    assert again.prints == after  # the same rows: the same prints
    for unit, path in again.paths.items():
        assert (second / "feedback" / path.name).samefile(path) == (unit != changed), unit
    assert again.kept == len(after) - 1
    # and between the two runs: the units whose rows stayed kept their file
    same = {unit for unit, print_ in after.items() if before.get(unit) == print_}
    assert same, "the second run reads the same data: most units' workbooks are unchanged"
    for unit, path in again.paths.items():
        published, earlier = second / "feedback" / path.name, first / "feedback" / path.name
        assert (earlier.exists() and earlier.samefile(published)) == (unit in same), unit


def test_nothing_lost_every_version_landed(run):
    """Every record the portal now holds landed in raw (with every fault on)."""
    state = run["server"].state
    since, until = datetime(2023, 1, 1), datetime(2030, 1, 1)
    a, b, removed, extras = state.dossier_window(since, until)
    rows, _ = state.dossier_page(since, until, 1, (b - a) - len(removed) + len(extras))
    expected = {(r["MaHoSo"], r["NgayCapNhat"]) for r in rows}
    con = duckdb.connect(str(run["settings"].warehouse), read_only=True)
    try:
        landed = set(
            con.execute("""select payload->>'MaHoSo', payload->>'NgayCapNhat' from raw.portal_dossiers""").fetchall()
        )
        kept = con.execute("select count(*) from marts.fct_dossiers").fetchone()[0]
        quarantined = con.execute(
            "select count(*) from marts.quarantine where source_name = 'portal.ho-so'"
        ).fetchone()[0]
        unbalanced = con.execute("select count(*) from marts.reconciliation where not is_balanced").fetchone()[0]
    finally:
        con.close()
    assert expected <= landed
    # Each dossier counts once: kept or quarantined (empty codes are each their own record).
    codes = {code for code, _ in expected}
    empties = sum(1 for code, _ in expected if code == "")
    assert kept + quarantined == len(codes - {""}) + empties
    assert unbalanced == 0


DEFECT_REASON = {
    "empty_code": "dossier_code_missing",
    "bad_updated_at": "updated_at_invalid",
    "unknown_procedure": "procedure_unknown",
    "bad_channel": "channel_invalid",
    "bad_status": "status_invalid",
    "bad_date": "date_invalid",
    "received_missing": "received_date_missing",
    "received_before_submitted": "received_before_submitted",
    "ended_before_received": "ended_before_received",
    "ended_missing": "ended_date_missing",
}


def test_every_portal_defect_is_quarantined(run):
    """Each defect the sample portal injected is in quarantine with the rule it breaks."""
    state = run["server"].state
    data = state.data
    quarantined = _published(
        run["settings"],
        "select record_key, reason_codes, record from marts.quarantine where source_name = 'portal.ho-so'",
    )
    by_code = {key: reasons for key, reasons, _ in quarantined}
    injected = 0
    for k in range(data.n_events):
        kind, d = data.kind_of(k)
        defect = data.defect_of(d) if kind == "final" else None
        if defect is None or k in state.moved:
            continue
        injected += 1
        code = data.dossier_event(k)["MaHoSo"]
        if code == "":
            assert any(
                DEFECT_REASON[defect] in reasons and f'"NgayCapNhat":"{data.dossier_event(k)["NgayCapNhat"]}"' in record
                for _, reasons, record in quarantined
            ), defect
        else:
            assert DEFECT_REASON[defect] in by_code.get(code, ""), (code, defect)
    assert injected >= 3
    assert len(quarantined) >= injected
    assert _published(
        run["settings"],
        """select count(*) from marts.fct_dossiers d
                                          join marts.quarantine q on q.record_key = d.ma_ho_so""",
    ) == [(0,)]


def test_reruns_give_identical_marts(run):
    """The second run re-read an overlap and published again: the same figures."""
    settings = run["settings"]
    con = duckdb.connect()
    try:
        con.execute(f"attach '{run['first_release'] / 'warehouse.duckdb'}' as a (read_only)")
        con.execute(f"attach '{settings.publish_dir / 'warehouse.duckdb'}' as b (read_only)")
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'b' and table_schema = 'marts'"
            ).fetchall()
        ]
        assert "kpi_scorecard" in marts
        for mart in marts:
            if mart in ("reconciliation", "release_info"):  # audit of loads; the publication's own id
                continue
            diff = con.execute(
                f"select count(*) from ((select * from a.marts.{mart} except all select * from b.marts.{mart}) "
                f"union all (select * from b.marts.{mart} except all select * from a.marts.{mart}))"
            ).fetchone()[0]
            assert diff == 0, mart
    finally:
        con.close()


def test_no_personal_data_or_secret_anywhere(run):
    settings, data = run["settings"], run["server"].state.data
    personal = set()
    for k in range(0, data.n_events, 7):
        rec = data.dossier_event(k)
        personal |= {rec["ChuHoSo"], rec["SoGiayToChuHoSo"], rec["DiaChi"]}
        personal |= {v for v in (rec["SoDienThoai"], rec["Email"]) if v}
    con = duckdb.connect()
    try:
        con.execute(f"attach '{settings.publish_dir / 'warehouse.duckdb'}' as pub (read_only)")
        con.execute(f"attach '{settings.warehouse}' as work (read_only)")
        con.execute("create temp table pii(v varchar)")
        con.executemany("insert into pii values (?)", [[v] for v in personal])
        # base tables only: the staging views are queries over raw, which is checked itself
        columns = con.execute("""select c.table_catalog, c.table_schema, c.table_name, c.column_name
                                 from information_schema.columns c join information_schema.tables t
                                 using (table_catalog, table_schema, table_name)
                                 where c.data_type = 'VARCHAR' and t.table_type = 'BASE TABLE'
                                   and c.table_catalog in ('pub', 'work')""").fetchall()
        assert len(columns) > 50
        for cat, schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{cat}"."{schema}"."{table}" t join pii on strpos(t."{column}", pii.v) > 0'
            ).fetchone()[0]
            assert hits == 0, f"{cat}.{schema}.{table}.{column}"
        for parquet in (settings.publish_dir / "parquet").glob("*.parquet"):
            text = con.execute(f"select string_agg(cast(columns(*) as varchar), '|') from '{parquet}'").fetchall()
            blob = " ".join(str(v) for row in text for v in row)
            assert not any(v in blob for v in personal), parquet.name
    finally:
        con.close()
    logs = run["logs"]
    assert DEMO_CLIENT_SECRET not in logs and TEST_HASH_KEY not in logs
    assert not any(v in logs for v in personal)


def test_published_marts_carry_their_descriptions(run):
    """dbt's descriptions (Vietnamese term and English gloss) reach the published file as
    comments, so a BI tool connected to it shows them."""
    con = duckdb.connect(str(run["settings"].publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        tables = dict(
            con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
        columns = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where schema_name = 'marts' and table_name = 'kpi_scorecard'"
            ).fetchall()
        )
    finally:
        con.close()
    assert tables["kpi_scorecard"] and "—" in tables["kpi_scorecard"]
    undocumented = [t for t, comment in tables.items() if not comment and t != "release_info"]
    assert undocumented == []
    assert columns["numerator"] and all(columns.values())


def test_published_file_opens_in_another_process(run):
    """A reader process (as a BI tool would) opens the published DuckDB file read-only."""
    code = (
        "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.execute(\"select count(*) from marts.kpi_scorecard where unit_code='ALL'\").fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(run["settings"].publish_dir / "warehouse.duckdb")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) > 100


def test_blocked_publication_leaves_the_previous_one_untouched(run, capsys):
    settings = run["settings"].with_(source_quarantine_threshold=0.0001)

    def snapshot():
        out = {}
        for p in sorted(Path(settings.publish_dir).rglob("*")):
            if p.is_symlink():
                out[str(p)] = "-> " + str(p.readlink())
            elif p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        return out

    before = snapshot()
    assert run_pipeline(settings) is False
    assert snapshot() == before
    err = capsys.readouterr().err
    assert "PUBLICATION BLOCKED" in err
    assert "assert_source_quarantine_share" in err


def test_failed_gx_suite_blocks_publication_and_says_why(run, capsys):
    """A blocking suite that fails (test double: a suite no real scorecard meets) stops the
    publication in the same run; the command names the rule, the rows and examples."""
    import great_expectations as gx

    from expectations.suite import Suite

    impossible = Suite(
        name="mart_kpi_scorecard",
        asset="kpi_scorecard",
        query="select kpi_code, value from marts.kpi_scorecard where unit_code = 'ALL' and value is not null",
        expectations=lambda: [gx.expectations.ExpectColumnValuesToBeBetween(column="value", min_value=0.999)],
        blocking=True,
        description="test double",
    )
    settings = run["settings"]
    before = {p: p.read_bytes() for p in Path(settings.publish_dir).rglob("*") if p.is_file() and not p.is_symlink()}
    current = (settings.publish_dir / "current").resolve()
    assert run_pipeline(settings, suites=[impossible]) is False
    assert (settings.publish_dir / "current").resolve() == current
    assert {p: p.read_bytes() for p in before} == before
    err = capsys.readouterr().err
    assert "PUBLICATION BLOCKED" in err
    assert "rule mart_kpi_scorecard on kpi_scorecard" in err and "rows failed" in err
    assert "expect_column_values_to_be_between (value)" in err and "e.g. [" in err


def test_feedback_lists_exactly_each_units_records(run):
    from openpyxl import load_workbook

    settings = run["settings"]
    con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        quarantined = con.execute(
            "select unit_code, json_extract_string(record, '$.MaHoSo'), reason_vi, reason_codes from marts.quarantine"
        ).fetchall()
        warned = con.execute(
            "select unit_code, record_key, warning_code, needs_action from marts.data_warnings"
        ).fetchall()
    finally:
        con.close()
    assert any(not action for *_, action in warned), "the sample has NFD text the warehouse fixed"
    units = {u for u, *_ in quarantined} | {u for u, *_ in warned}
    files = {p.stem: p for p in (settings.publish_dir / "feedback").glob("*.xlsx")}
    assert set(files) == units
    for unit, path in files.items():
        wb = load_workbook(path)
        q_sheet, w_sheet = wb["Hồ sơ bị cách ly"], wb["Cảnh báo"]
        header = next(q_sheet.iter_rows(min_row=6, max_row=6, values_only=True))
        assert header[:3] == ("STT", "Nguồn dữ liệu", "Mã hồ sơ") and header[-1].startswith("Bản ghi như đã nhận")
        assert q_sheet.freeze_panes == "A7" and q_sheet.auto_filter.ref.startswith("A6:")
        assert q_sheet.print_title_rows == "$6:$6" and q_sheet.column_dimensions["C"].width >= 20
        q_rows = [r for r in q_sheet.iter_rows(min_row=7, values_only=True) if r[0] != "–"]
        # one row per record: its dossier code as a column, the reason in Vietnamese, the codes
        expected = sorted((m or "", r, c) for u, m, r, c in quarantined if u == unit)
        assert sorted((r[2] or "", r[9], r[10]) for r in q_rows) == expected
        w_rows = list(w_sheet.iter_rows(min_row=7, values_only=True))
        fixed_at = next((i for i, r in enumerate(w_rows) if r and r[0] == "STT"), None)
        listed = [r for r in w_rows[:fixed_at] if r and r[0] not in (None, "–")]
        assert sorted((r[2], r[6]) for r in listed) == sorted((k, c) for u, k, c, a in warned if u == unit and a)
        # what the warehouse fixed by itself: a count per file, not a row per record
        fixed_counts = sum(int(r[3]) for r in w_rows[fixed_at + 1 :] if r and r[0]) if fixed_at is not None else 0
        assert fixed_counts == sum(1 for u, *_, a in warned if u == unit and not a)


def test_data_docs_are_published(run):
    index = run["settings"].publish_dir / "data_docs" / "index.html"
    assert index.is_file()
    assert "mart_kpi_scorecard" in index.read_text(encoding="utf-8")


def test_dbt_docs_are_published_and_kept_for_new_rows(run):
    """Both releases carry the dbt docs; the second run, with new rows but the same project
    and tables, kept the file the first generated (dbt docs generate did not run again)."""
    first, second = (
        r / "dbt_docs" / "index.html" for r in (run["first_release"], run["settings"].publish_dir / "current")
    )
    assert "fct_dossiers" in second.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    from orchestration.defs.dbt.project import dbt_docs_path

    # the working copy the publication takes: written before the first release, not since
    written = dbt_docs_path(run["settings"]).stat().st_mtime_ns
    assert written < (run["first_release"] / "release.json").stat().st_mtime_ns


def test_the_serving_database_follows_the_files_and_never_half_loads(run, postgres, capsys):
    """Database down: the files are published, the database keeps what it had, the run says
    so in one line and ``cchc run`` exits 4; the next run catches up; a blocked publication
    leaves the database byte for byte as it was."""
    import subprocess

    import pgserver

    from orchestration.runner import BLOCKED, PUBLISHED, SERVING_FAILED, run_pipeline_outcome
    from orchestration.serving import served_release

    url = postgres.new_database()
    settings = run["settings"]
    assert run_pipeline_outcome(settings.with_(serving_url=url)) == PUBLISHED
    served = served_release(url)
    assert served == (settings.publish_dir / "current").resolve().name

    down = "postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2"
    assert run_pipeline_outcome(settings.with_(serving_url=down)) == SERVING_FAILED
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if line.startswith("PUBLISHED"))
    assert "cannot reach the serving database at 127.0.0.1:9/nowhere" in line and "Traceback" not in err
    assert (settings.publish_dir / "current").resolve().name != served  # the files moved on
    assert served_release(url) == served  # the database did not

    assert run_pipeline_outcome(settings.with_(serving_url=url)) == PUBLISHED  # the next run catches up
    assert served_release(url) == (settings.publish_dir / "current").resolve().name

    pg_dump = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"

    def dump() -> str:
        return subprocess.run([str(pg_dump), "--dbname", url], capture_output=True, text=True, check=True).stdout

    before = dump()
    assert run_pipeline_outcome(settings.with_(serving_url=url, source_quarantine_threshold=0.0001)) == BLOCKED
    assert dump() == before


def test_resolution_carried_over_and_open_dossiers_are_counted_dossier_by_dossier(run):
    """Each report period's carried-over and still-open dossiers in the resolution table, against
    the dossiers one by one (the table joins a period only to dossiers that can count in it)."""
    settings = run["settings"]
    table = _published(
        settings,
        """select period_key, sum(carried_over), sum(open_within_deadline), sum(open_past_deadline)
           from marts.report_resolution where period_type = 'report' group by 1 order by 1""",
    )
    by_dossier = _published(
        settings,
        """select p.period_key,
                  count(*) filter (where d.received_date < p.period_start
                                   and (not d.is_ended or d.ended_date >= p.period_start)),
                  count(*) filter (where not (d.is_ended and d.ended_date <= p.period_end)
                                   and (d.effective_deadline is null or d.effective_deadline::date >= p.period_end)),
                  count(*) filter (where not (d.is_ended and d.ended_date <= p.period_end)
                                   and d.effective_deadline::date < p.period_end)
           from marts.dim_reporting_periods as p
           join marts.fct_dossiers as d on d.is_received and d.received_date <= p.period_end
                                       and d.trang_thai_ho_so not in ('7', '8')
           where p.period_key in (select period_key from marts.report_resolution where period_type = 'report')
           group by 1 order by 1""",
    )
    assert [tuple(int(v) for v in row[1:]) for row in table] == [tuple(row[1:]) for row in by_dossier]
    assert [row[0] for row in table] == [row[0] for row in by_dossier]
    assert sum(row[1] for row in by_dossier) > 0 and sum(row[2] + row[3] for row in by_dossier) > 0
