"""dbt models, seeds and tests as Dagster assets and asset checks."""


import json
import os

from dagster import AssetExecutionContext, BackfillPolicy, ResourceParam
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.project import CchcTranslator, dbt_build_args, dbt_env, dbt_project, ensure_manifest
from orchestration.resources import WAREHOUSE_POOL
from orchestration.settings import Settings

def build_dbt_assets():
    manifest_path = ensure_manifest()

    @dbt_assets(
        manifest=manifest_path,
        project=dbt_project(),
        dagster_dbt_translator=CchcTranslator(),
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        name="cchc_dbt",
    )
    def cchc_dbt(context: AssetExecutionContext, dbt: DbtCliResource, settings: ResourceParam[Settings]):
        # The dbt profile reads the warehouse path and limits from the environment.
        os.environ.update(dbt_env(settings))
        yield from dbt.cli(dbt_build_args(settings), context=context).stream()

    return cchc_dbt


def mart_names(manifest_path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    )
