"""Shared Dagster resources and the pool every warehouse writer runs in."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.project import dbt_project
from orchestration.settings import Settings

# One writer at a time on the DuckDB file: every asset that writes it joins this pool,
# whose limit is 1 (dagster.yaml).
WAREHOUSE_POOL = "warehouse"


def build_resources(settings: Settings) -> dict:
    return {
        "settings": settings,
        # The dbt beside this interpreter: the commands work without an activated venv.
        "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    }
