"""The command line's own promises (the pipeline behind it is tested in integration)."""

from __future__ import annotations

from orchestration.cli import main


def test_run_refuses_to_start_without_a_hash_key(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("CCHC_HASH_KEY", raising=False)
    assert main(["run"]) == 2
    assert "CCHC_HASH_KEY is not set" in capsys.readouterr().err


def test_scorecard_says_when_nothing_is_published(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CCHC_PUBLISH_DIR", str(tmp_path / "nowhere"))
    assert main(["scorecard"]) == 0
    assert "nothing published yet" in capsys.readouterr().err


def test_scorecard_and_report_show_the_same_school_year(tmp_path, capsys):
    """For a period, the command line and the report read the school year from one mart
    (marts.period_school_years): 2024 shows 2024-2025 here, begun in September 2024."""
    import duckdb

    from orchestration.reports.data import kpi_rows
    from orchestration.scorecard import print_scorecard
    from orchestration.settings import Settings

    (tmp_path / "published").mkdir()
    path = tmp_path / "published" / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("""create table marts.kpi_scorecard as select * from (values
        ('school_year', '2023-2024', date '2023-09-01', date '2024-08-31', 'ALL', 'school_digital_level2_share',
         1, 2, 0.5, null::double, null::boolean, 'ok', null::varchar, null::bigint, null::bigint, null::timestamp),
        ('school_year', '2024-2025', date '2024-09-01', date '2025-08-31', 'ALL', 'school_digital_level2_share',
         3, 4, 0.75, null, null, 'ok', null, null, null, null),
        ('year', '2024', date '2024-01-01', date '2024-12-31', 'ALL', 'online_dossier_rate',
         8, 10, 0.8, 0.8, true, 'ok', null, null, null, null))
        as t(period_type, period_key, period_start, period_end, unit_code, kpi_code, numerator, denominator, value,
             target, met, status, note, reported_numerator, reported_denominator, reported_at)""")
    con.execute("""create table marts.period_school_years as
                   select 'year' as period_type, '2024' as period_key, '2024-2025' as school_year""")
    con.execute("""create table marts.dim_kpis as select * from (values
        ('school_digital_level2_share', 'II.6.a', 'Tỷ lệ trường CĐS', false),
        ('online_dossier_rate', 'I.2.c', 'Tỷ lệ trực tuyến', false))
        as t(kpi_code, plan_item, name_vi, is_self_reported)""")
    con.execute(
        "create table marts.quarantine (record_key varchar, reason_vi varchar, record varchar, source_name varchar)"
    )
    con.execute("create table marts.reconciliation (source_file varchar, rows_read bigint)")
    report = {r[2]: r[1] for r in kpi_rows(con, "year", "2024")}
    con.close()
    assert report["school_digital_level2_share"].endswith("(năm học 2024-2025)")
    print_scorecard(Settings(publish_dir=tmp_path / "published"), "year", "ALL", "2024")
    printed = capsys.readouterr().out
    assert "2024-2025  school_digital_level2_share" in printed and "2023-2024" not in printed


def test_run_exit_codes_say_what_was_published(monkeypatch, tmp_path):
    """0 published; 1 blocked (nothing published); 4 the files published, the serving
    database behind; 5 a source could not be read (README "Runs and exit codes")."""
    import orchestration.cli as cli
    from orchestration.runner import BLOCKED, PUBLISHED, SERVING_FAILED, SOURCE_FAILED

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CCHC_HASH_KEY", "k")
    monkeypatch.setenv("CCHC_PORTAL_CLIENT_ID", "id")
    monkeypatch.setenv("CCHC_PORTAL_CLIENT_SECRET", "secret")
    monkeypatch.setenv("CCHC_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setattr(cli, "print_scorecard", lambda *a, **k: None)
    codes = {}
    for outcome in (PUBLISHED, BLOCKED, SERVING_FAILED, SOURCE_FAILED):
        monkeypatch.setattr(cli, "run_pipeline_outcome", lambda *a, _o=outcome, **k: _o)
        codes[outcome] = main(["run"])
    assert codes == {PUBLISHED: 0, BLOCKED: 1, SERVING_FAILED: 4, SOURCE_FAILED: 5}


def test_help_lists_the_exit_codes_and_every_option_has_a_default(capsys):
    import pytest

    for argv in (["--help"], ["run", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "exit codes of run and demo" in out and "5  a source could not be read" in out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "(default: 50000)" in capsys.readouterr().out


def test_an_unknown_unit_or_period_is_an_error_naming_the_known_ones(monkeypatch, tmp_path, capsys):
    import duckdb

    (tmp_path / "published").mkdir()
    con = duckdb.connect(str(tmp_path / "published" / "warehouse.duckdb"))
    con.execute("create schema marts")
    con.execute("""create table marts.kpi_scorecard as select * from (values
        ('year', '2024', 'ALL'), ('year', '2024', '000.01.20.H12')) as t(period_type, period_key, unit_code)""")
    con.close()
    monkeypatch.setenv("CCHC_PUBLISH_DIR", str(tmp_path / "published"))
    assert main(["scorecard", "--unit", "000.09.20.H12"]) == 2
    err = capsys.readouterr().err
    assert "'000.09.20.H12' is not in the published scorecard" in err and "000.01.20.H12" in err
    assert main(["scorecard", "--period", "2031"]) == 2
    assert "year periods: 2024" in capsys.readouterr().err


def test_a_failed_dbt_process_is_said_in_one_line_with_its_exit_code_and_last_error():
    """dagster-dbt's error opens with the dbt command over several lines; the run's one line
    (``cause``) gives dbt's exit code and the last error dbt logged instead."""
    import sys

    from dagster._utils.error import serializable_error_info_from_exc_info
    from dagster_dbt.errors import DagsterDbtCliRuntimeError

    from orchestration.runner import cause

    def said(description: str) -> str:
        try:
            raise DagsterDbtCliRuntimeError(description=description)
        except DagsterDbtCliRuntimeError:
            return cause(serializable_error_info_from_exc_info(sys.exc_info()))

    command = (
        "The dbt CLI process with command\n\n`dbt build --vars {}`\n\nfailed with exit code `2`. Check the stdout."
    )
    assert said(command) == "dbt ended with exit code 2 (what it said is in the full log)"
    parsed = f"{command}\n\nErrors parsed from dbt logs:\n\nDatabase Error\n\nCatalog Error: no table dim_units"
    assert said(parsed) == "dbt ended with exit code 2: Catalog Error: no table dim_units"
