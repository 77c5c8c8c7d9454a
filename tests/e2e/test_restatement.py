"""A final report keeps its figures; later data shows as a dated restatement."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb

from orchestration.definitions import FINALIZE_JOB, PIPELINE_JOB, build_definitions
from orchestration.finals import finalize_report
from orchestration.publish import publish
from tests.crafted import G2
from tests.e2e.test_reports import report_rows
from tests.integration.dbt_helpers import land, run_dbt

PERIOD = "2024-BC-Q1"


def _online(settings):
    con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(
            """select numerator, denominator, reported_numerator, reported_denominator, reported_at
                              from marts.kpi_scorecard where period_key = ? and unit_code = 'ALL'
                              and kpi_code = 'online_dossier_rate'""",
            [PERIOD],
        ).fetchone()
    finally:
        con.close()


def test_final_figures_stay_and_a_restatement_is_dated(crafted_warehouse, tmp_path):
    settings = crafted_warehouse.with_(warehouse=tmp_path / "working.duckdb", publish_dir=tmp_path / "published")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    publish(settings)
    assert _online(settings)[:4] == (0, 1, None, None)  # G, in person, is the period's only dossier

    assert finalize_report(settings, PERIOD) > 0
    assert run_dbt(settings).returncode == 0
    publish(settings)
    numerator, denominator, reported_n, reported_d, reported_at = _online(settings)
    assert (numerator, denominator, reported_n, reported_d) == (0, 1, 0, 1)
    assert reported_at.date() == date.today()

    # Later, the portal sends a new version of G: it was filed online after all.
    land(settings, "ho-so", [{**G2, "KenhThucHien": "2", "NgayCapNhat": "20240601000000"}])
    assert run_dbt(settings).returncode == 0
    assert finalize_report(settings, PERIOD) == 0  # final already: nothing changes
    publish(settings)
    assert _online(settings)[:4] == (1, 1, 0, 1)  # the data moved on; the reported figures did not

    row = report_rows(settings.publish_dir / "reports" / f"{PERIOD}.xlsx")["online_dossier_rate"]
    assert row[2:4] == (1, 1)
    assert row[7] == f"Số liệu đã báo cáo: 0/1; điều chỉnh so với báo cáo ngày {date.today():%d/%m/%Y}"


def test_finalize_job_rebuilds_and_publishes_without_ingesting(tmp_path):
    from orchestration.settings import Settings

    defs = build_definitions(Settings(warehouse=tmp_path / "w.duckdb"))
    finalize = {k.to_user_string() for k in defs.resolve_job_def(FINALIZE_JOB).asset_layer.selected_asset_keys}
    assert {"raw/report_finals", "kpi_scorecard", "published/release"} <= finalize
    assert not any(k.startswith("raw/portal") for k in finalize)
    daily = {k.to_user_string() for k in defs.resolve_job_def(PIPELINE_JOB).asset_layer.selected_asset_keys}
    assert "raw/report_finals" not in daily
