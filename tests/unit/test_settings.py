"""Configuration and the dbt command line, both pure."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from orchestration.defs.dbt.project import dbt_build_args, dbt_env
from orchestration.settings import Settings, load_dotenv


def test_settings_from_env_with_defaults():
    s = Settings.from_env(
        {
            "CCHC_PORTAL_URL": "https://dvc.example.gov.vn",
            "CCHC_START_DATE": "2024-01-01",
            "CCHC_UNIT_QUARANTINE_THRESHOLD": "0.1",
            "CCHC_WAREHOUSE": "/tmp/w.duckdb",
            "CCHC_PORTAL_CLIENT_SECRET": "s3cret",
            "CCHC_HASH_KEY": "hk",
        }
    )
    assert s.portal_url == "https://dvc.example.gov.vn"
    assert s.start_date == date(2024, 1, 1)
    assert s.unit_quarantine_threshold == 0.1 and s.source_quarantine_threshold == 0.20
    assert s.warehouse == Path("/tmp/w.duckdb")
    assert "s3cret" not in repr(s) and "hk" not in repr(s).replace("hash_key", "")


def test_thresholds_must_be_shares():
    with pytest.raises(ValueError, match="CCHC_SOURCE_QUARANTINE_THRESHOLD"):
        Settings.from_env({"CCHC_SOURCE_QUARANTINE_THRESHOLD": "20"})


def test_dotenv_is_read(tmp_path):
    (tmp_path / ".env").write_text("# comment\nexport CCHC_PORTAL_URL='http://x'\nCCHC_HASH_KEY=abc\n\n")
    assert load_dotenv(tmp_path / ".env") == {"CCHC_PORTAL_URL": "http://x", "CCHC_HASH_KEY": "abc"}


def test_dbt_build_args_carry_thresholds_and_the_file_sources():
    from connectors.exports import LAYOUTS

    args = dbt_build_args(Settings(unit_quarantine_threshold=0.07, source_quarantine_threshold=0.3))
    assert args[0] == "build" and args[1] == "--vars"
    dbt_vars = json.loads(args[2])
    assert dbt_vars["unit_quarantine_threshold"] == 0.07 and dbt_vars["source_quarantine_threshold"] == 0.3
    # the file sources reach dbt from their one declaration, each with what dbt needs
    assert [s["source"] for s in dbt_vars["file_sources"]] == [layout.source for layout in LAYOUTS]
    for entry in dbt_vars["file_sources"]:
        assert all(entry[k] for k in ("raw_table", "staging", "checked", "unit")), entry
        assert (
            Path(__file__).parents[2] / "dbt_project" / "models" / "staging" / "files" / f"{entry['staging']}.sql"
        ).is_file()
        assert (
            Path(__file__).parents[2] / "dbt_project" / "models" / "intermediate" / f"{entry['checked']}.sql"
        ).is_file()


def test_dbt_env_points_the_profile_at_the_warehouse(tmp_path):
    env = dbt_env(Settings(warehouse=tmp_path / "w.duckdb", duckdb_threads=1, duckdb_memory_limit="2GB"))
    assert env == {
        "CCHC_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "CCHC_DUCKDB_MEMORY_LIMIT": "2GB",
        "CCHC_DUCKDB_THREADS": "1",
        "DBT_USE_COLORS": "false",
    }


def test_every_setting_belongs_to_one_resource_and_secrets_stay_env_vars(monkeypatch, tmp_path):
    import dataclasses

    from dagster import EnvVar
    from dagster import build_resources as initialised

    from orchestration.resources import RESOURCE_FIELDS, build_resources, settings_from

    held = [name for _, names in RESOURCE_FIELDS.values() for name in names]
    assert sorted(held) == sorted(f.name for f in dataclasses.fields(Settings))
    assert len(held) == len(set(held))
    monkeypatch.setenv("CCHC_HASH_KEY", "hk-secret")
    monkeypatch.setenv("CCHC_PORTAL_CLIENT_SECRET", "cs-secret")
    settings = Settings.from_env(
        {
            "CCHC_HASH_KEY": "hk-secret",
            "CCHC_PORTAL_CLIENT_SECRET": "cs-secret",
            "CCHC_PORTAL_PAGE_SIZE": "250",
            "CCHC_WAREHOUSE": str(tmp_path / "w.duckdb"),
        }
    )
    resources = build_resources(settings)
    assert resources["warehouse"].hash_key == EnvVar("CCHC_HASH_KEY")
    assert resources["portal"].portal_client_secret == EnvVar("CCHC_PORTAL_CLIENT_SECRET")
    assert resources["portal"].portal_page_size == 250
    # what an asset hands the plain functions is the configuration it was built from
    with initialised({k: v for k, v in resources.items() if k != "dbt"}) as live:
        back = settings_from(live.warehouse, live.portal, live.drop_folders, live.publication)
        assert back == settings
        assert "hk-secret" not in repr(live.warehouse) and "cs-secret" not in repr(live.portal)


def test_full_refresh_reaches_dbt():
    assert dbt_build_args(Settings(), full_refresh=True)[-1] == "--full-refresh"
    assert "--full-refresh" not in dbt_build_args(Settings())


def test_the_pipeline_leaves_dbt_unit_tests_to_the_test_suite():
    exclude = ["--exclude-resource-type", "unit_test"]
    args = " ".join(dbt_build_args(Settings()))
    assert " ".join(exclude) in args
    assert " ".join(exclude) not in " ".join(dbt_build_args(Settings(), unit_tests=True))


def test_a_file_register_without_kind_is_migrated_in_place(tmp_path):
    """Warehouses made before files were known by content and kind keep every file row; the
    kind comes from the path's suffix (connectors.exports.FILE_KINDS)."""
    import duckdb

    from orchestration.warehouse import ensure_raw

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute(
        "create table raw.files (folder varchar not null, file_id varchar not null, path varchar not null, "
        "size_bytes bigint not null, modified_at timestamp, seen_at timestamp not null, status varchar not null, "
        "source varchar, reason_code varchar, reason varchar, batch_id varchar, rows_read bigint, rows_blank bigint, "
        "rows_footer bigint, header_row integer, sheets varchar, encoding varchar, delimiter varchar, "
        "as_of_date date, notes varchar, primary key (folder, file_id))"
    )
    for path in ("a/Thu.XLSX", "b.csv", "c.txt", "d.xls"):
        con.execute(
            "insert into raw.files (folder, file_id, path, size_bytes, seen_at, status) "
            "values ('payments', ?, ?, 0, now(), 'rejected')",
            [path, path],
        )
    ensure_raw(con)
    kinds = dict(con.execute("select path, kind from raw.files").fetchall())
    assert kinds == {"a/Thu.XLSX": "xlsx", "b.csv": "csv", "c.txt": "csv", "d.xls": "other"}
    # the same content as another kind is now another file
    con.execute(
        "insert into raw.files (folder, file_id, kind, path, size_bytes, seen_at, status) "
        "values ('payments', 'b.csv', 'xlsx', 'b.xlsx', 0, now(), 'rejected')"
    )
    con.close()
