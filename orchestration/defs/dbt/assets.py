"""dbt models, seeds and tests as Dagster assets and asset checks."""

import json
import os
import shutil

from dagster import AssetExecutionContext, BackfillPolicy, Config
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.project import (
    CchcTranslator,
    dbt_build_args,
    dbt_docs_args,
    dbt_docs_path,
    dbt_env,
    dbt_project,
)
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource, settings_from


class DbtBuildConfig(Config):
    """How the run builds the dbt project."""

    full_refresh: bool = False  # rebuild the incremental models from raw (dbt build --full-refresh)


def build_dbt_assets(manifest_path):

    @dbt_assets(
        manifest=manifest_path,
        project=dbt_project(),
        dagster_dbt_translator=CchcTranslator(),
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        name="cchc_dbt",
    )
    def cchc_dbt(
        context: AssetExecutionContext, config: DbtBuildConfig, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        settings = settings_from(warehouse)
        # The dbt profile reads the warehouse path and limits from the environment (dagster-dbt
        # passes dbt the process environment and takes no other).
        os.environ.update(dbt_env(settings))
        build = dbt.cli(dbt_build_args(settings, full_refresh=config.full_refresh), context=context)
        yield from build.stream()
        # Documentation of what was just built, as one HTML file that opens from disk; the
        # publish step puts it beside the marts.
        docs = dbt.cli(dbt_docs_args(settings), target_path=build.target_path / "docs")
        docs.wait()
        static = docs.target_path / "static_index.html"
        target = dbt_docs_path(settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(static, target)
        context.log.info(f"dbt docs written to {target}")

    return cchc_dbt


def mart_names(manifest_path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    )
