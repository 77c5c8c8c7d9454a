"""dbt models, seeds and tests as Dagster assets and asset checks."""

import json
import os
import time
from collections.abc import Iterator

from dagster import AssetCheckResult, AssetExecutionContext, BackfillPolicy, Config, Output
from dagster_dbt import DbtCliResource, dbt_assets

from expectations.runner import load_gx_in_background
from orchestration.defs.dbt.integration import CchcTranslator, dbt_project
from orchestration.defs.dbt.project import (
    dbt_build_args,
    dbt_docs_path,
    dbt_env,
    plan_dbt_build,
    prune_targets,
    record_dbt_build,
    write_docs,
)
from orchestration.defs.dbt.reach import MATERIALIZED
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource, settings_from
from orchestration.runlog import into_run_log, progress


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
        started = time.monotonic()
        # A run of the whole project builds what its new data reaches (reach.py); a run of
        # some assets (chosen in the UI) builds them, and records nothing
        plan = None if context.is_subset else plan_dbt_build(settings, manifest_path, config.full_refresh)
        if plan is not None:
            # the run goes on to the quality gate, which needs GX: imported while dbt builds
            load_gx_in_background()
        said = plan.describe() if plan else "building the selected models"
        progress(context, f"dbt: {said} and running their tests …")
        # dbt's own output (a line per model and test) goes to the run log; the console gets
        # a line per layer when the build is done
        with into_run_log():
            build = dbt.cli(dbt_build_args(settings, full_refresh=config.full_refresh, plan=plan), context=context)
            # a model or seed the plan left out is current as it stands: Dagster is told so
            # first (nothing it depends on is built), or the assets below it (the
            # publication) would be skipped
            yield from _left_out(context, build.manifest, plan)
            try:
                yield from build.stream()
            finally:
                for line in layer_lines(build.manifest, _run_results(build)):
                    progress(context, f"dbt {line}")
            if plan is not None:
                record_dbt_build(settings, plan)  # stream() raised if the build failed
            prune_targets(build.target_path)
            context.log.info(f"dbt build finished in {time.monotonic() - started:.0f} s")
        # Documentation of what was just built, as one HTML file that opens from disk; the
        # publish step puts it beside the marts. New rows do not change it (docs_to_write).
        if write_docs(settings, build.manifest, build.target_path):
            context.log.info(f"dbt docs written to {dbt_docs_path(settings)}")
        else:
            context.log.info(f"dbt docs: {dbt_docs_path(settings)} already shows this project and its tables")

    return cchc_dbt


def _left_out(context: AssetExecutionContext, manifest: dict, plan) -> Iterator[Output | AssetCheckResult]:
    """An output for each model and seed the plan left out, parents before children (as
    Dagster asks of a multi-asset), then a result for each test left out: it passed in the
    last complete build (a build records itself only when every test passed) on the rows it
    would test now, so it passes, marked as reused. Without it the publication would not
    wait on those tests, and Dagster would say so for each."""
    if plan is None:
        return
    translator = CchcTranslator()
    nodes = {u: manifest["nodes"][u] for u in plan.left_out if manifest["nodes"][u]["resource_type"] in MATERIALIZED}
    ordered: list[str] = []

    def visit(unique_id: str) -> None:
        if unique_id in nodes and unique_id not in ordered:
            for parent in nodes[unique_id].get("depends_on", {}).get("nodes", []):
                visit(parent)
            ordered.append(unique_id)

    for unique_id in sorted(nodes):
        visit(unique_id)
    for unique_id in ordered:
        name = translator.get_asset_spec(manifest, unique_id, dbt_project()).key.to_python_identifier()
        if name in context.op_execution_context.selected_output_names:
            yield Output(
                None,
                output_name=name,
                metadata={"status": "reused", "why": f"left out of the build: nothing new reaches it ({plan.why})"},
            )
    checks = {key.name: key for key in context.op_execution_context.selected_asset_check_keys}
    for unique_id, name in plan.left_out.items():
        key = checks.get(name)
        if manifest["nodes"][unique_id]["resource_type"] == "test" and key is not None:
            yield AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=True,
                metadata={"status": "reused", "why": "left out of the build: it passed on these rows in the last one"},
            )


def _run_results(build) -> list[dict]:
    try:
        return build.get_artifact("run_results.json").get("results", [])
    except (OSError, ValueError):
        return []


LAYERS = ("seeds", "staging", "intermediate", "marts", "tests")


def layer_lines(manifest: dict, results: list[dict]) -> list[str]:
    """dbt's results condensed to a line per layer: ``staging: 12 built (3.1 s of work)``,
    and for the data and unit tests ``tests: 156 passed, 0 warned, 0 failed``, failures named."""
    nodes = manifest.get("nodes", {})
    by_layer: dict[str, list[dict]] = {}
    for result in results:
        unique_id = result.get("unique_id", "")
        kind = unique_id.split(".", 1)[0]
        if kind == "model":
            fqn = nodes.get(unique_id, {}).get("fqn", [])
            layer = fqn[1] if len(fqn) > 2 else "models"
        elif kind in ("seed", "test", "unit_test"):
            layer = {"seed": "seeds", "test": "tests", "unit_test": "tests"}[kind]
        else:
            continue  # exposures: nothing is built
        by_layer.setdefault(layer, []).append(result)
    lines = []
    for layer in sorted(by_layer, key=lambda name: (LAYERS.index(name) if name in LAYERS else len(LAYERS), name)):
        rows = by_layer[layer]
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.get("status", "?")] = counts.get(row.get("status", "?"), 0) + 1
        seconds = sum(float(row.get("execution_time") or 0) for row in rows)
        if layer == "tests":
            said = f"{counts.get('pass', 0)} passed, {counts.get('warn', 0)} warned, {counts.get('fail', 0)} failed"
        else:
            said = f"{counts.get('success', 0)} built"
        others = {k: v for k, v in counts.items() if k not in ("pass", "warn", "fail", "success")}
        said += "".join(f", {v} {k}" for k, v in sorted(others.items()))
        bad = [row["unique_id"].split(".")[-1] for row in rows if row.get("status") in ("error", "fail")]
        if bad:
            said += f" ({', '.join(bad[:3])}{', …' if len(bad) > 3 else ''})"
        lines.append(f"{layer}: {said} ({seconds:.1f} s of work)")
    return lines


def mart_names(manifest_path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    )
