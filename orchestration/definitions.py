"""Dagster definitions: one place assembling the small per-area definitions.

Loaded by ``workspace.yaml`` (``dagster dev``) and by the ``cchc`` commands, so the UI,
the schedule and the command line run the very same assets.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)
from dagster_dbt import get_asset_key_for_model

from orchestration.defs.dbt.assets import build_dbt_assets, mart_names
from orchestration.defs.dbt.project import ensure_manifest
from orchestration.defs.ingest.assets import ingest_assets
from orchestration.defs.ingest.sensors import build_export_sensor
from orchestration.defs.publish.assets import build_publish_asset, serving_marts, serving_matches_release
from orchestration.defs.quality.checks import build_quality_checks
from orchestration.defs.reports.assets import FINALS_KEY, report_finals
from orchestration.resources import build_resources
from orchestration.settings import Settings

PIPELINE_JOB = "cchc_pipeline"
FINALIZE_JOB = "finalize_report"


def build_definitions(settings: Settings | None = None, suites=None) -> Definitions:
    """The project's definitions; ``suites`` replaces the GX suites (tests use it)."""
    settings = settings or Settings.from_env()
    manifest = ensure_manifest(settings)
    dbt_assets_def = build_dbt_assets(manifest)
    mart_keys = [get_asset_key_for_model([dbt_assets_def], name) for name in mart_names(manifest)]
    publish_asset = build_publish_asset(mart_keys)

    # Every step that touches the DuckDB file runs in one process, one after another:
    # DuckDB refuses even a read-only open while another process writes.
    pipeline = define_asset_job(
        PIPELINE_JOB,
        selection=AssetSelection.all() - AssetSelection.assets(FINALS_KEY),
        executor_def=in_process_executor,
        description="Ingest the portal and the dropped files, build the dbt models and checks, publish.",
    )
    finalize = define_asset_job(
        FINALIZE_JOB,
        selection=AssetSelection.assets(FINALS_KEY).downstream(),
        executor_def=in_process_executor,
        description="Make a reporting period's report final, rebuild and publish.",
    )
    daily = ScheduleDefinition(
        name="cchc_daily",
        job=pipeline,
        cron_schedule="0 2 * * *",
        execution_timezone="Asia/Ho_Chi_Minh",
        default_status=DefaultScheduleStatus.RUNNING,
    )
    return Definitions(
        assets=[*ingest_assets, dbt_assets_def, publish_asset, serving_marts, report_finals],
        asset_checks=[
            build_quality_checks() if suites is None else build_quality_checks(suites),
            serving_matches_release,
        ],
        jobs=[pipeline, finalize],
        schedules=[daily],
        sensors=[build_export_sensor(settings, PIPELINE_JOB)],
        resources=build_resources(settings),
    )


defs = build_definitions()
