"""Shared Dagster resources and the pool every warehouse writer runs in."""

from __future__ import annotations

from pathlib import Path

from dagster import resource
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.project import dbt_project
from orchestration.runlock import dbt_executable, run_lock
from orchestration.settings import Settings

# One writer at a time on the DuckDB file: every asset that writes it joins this pool,
# whose limit is 1 (dagster.yaml).
WAREHOUSE_POOL = "warehouse"


def settings_resource(settings: Settings):
    """The configuration every asset reads. Holding it holds the warehouse's run lock
    (orchestration/runlock.py): whichever way a run starts (``cchc``, the UI, the schedule,
    the sensor), a second run on the same warehouse waits or stops before it writes."""

    @resource(
        description="The pipeline's configuration (README, Configuration); holding it holds the "
        "warehouse's run lock, so one run at a time writes a warehouse."
    )
    def settings_with_run_lock(_init_context):
        with run_lock(settings.warehouse, settings.run_lock_wait_seconds):
            yield settings

    return settings_with_run_lock


def build_resources(settings: Settings) -> dict:
    return {
        "settings": settings_resource(settings),
        # dbt beside this interpreter (the commands work without an activated venv), started
        # so that it dies with its run
        "dbt": DbtCliResource(
            project_dir=dbt_project(), dbt_executable=dbt_executable(Path(settings.warehouse).parent / "bin")
        ),
    }
