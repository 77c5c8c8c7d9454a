"""The dbt project as Dagster sees it: the one cached ``DbtProject`` and the translator
that names, groups and describes its assets and checks."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.defs.dbt.project import DBT_DIR, registry_vars


@cache
def dbt_project() -> DbtProject:
    # `dagster dev` parses the project with the `dbt` found on PATH: make it the one beside
    # this interpreter, so the UI works without an activated virtualenv too
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    project = DbtProject(
        project_dir=DBT_DIR,
        profiles_dir=DBT_DIR,
        prepare_project_cli_args=["parse", "--quiet", "--vars", json.dumps(registry_vars())],
    )
    project.prepare_if_dev()
    return project


class CchcTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer; sources map to ingest assets through their meta."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """Every dbt test as a check with a description: its own, or what it tests."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        node = manifest["nodes"].get(unique_id, {})
        meta = node.get("test_metadata") or {}
        column = node.get("column_name")
        kind = meta.get("name") or "singular test"
        text = node.get("description") or (
            f"dbt {kind}{f' on column {column}' if column else ''} of {asset_spec.key.to_user_string()}"
            + (" (a publication rule: it blocks publication)" if not meta else "")
        )
        return spec._replace(description=text)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        meta = (dbt_resource_props.get("meta") or {}).get("dagster") or {}
        if "asset_key" in meta:
            return AssetKey(meta["asset_key"])
        return AssetKey([dbt_resource_props["name"]])
