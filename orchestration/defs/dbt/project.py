"""The dbt project's facts for every process that runs dbt: where it is, its vars and
profile environment, the build's arguments and plan, its parsed manifest. Nothing here
imports Dagster (the bench's and the tests' plain processes use it); the project as Dagster
sees it is in integration.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.exports import LAYOUTS
from orchestration.defs.dbt.reach import BuildPlan, docs_print, plan_build, record_build
from orchestration.runlock import dbt_argv
from orchestration.settings import PROJECT_DIR, Settings

DBT_DIR = PROJECT_DIR / "dbt_project"


def dbt_env(settings: Settings) -> dict[str, str]:
    """What the dbt profile reads from the environment (profiles.yml)."""
    return {
        "CCHC_WAREHOUSE": str(Path(settings.warehouse).resolve()),
        "CCHC_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "CCHC_DUCKDB_THREADS": str(settings.duckdb_threads),
        # its output goes to the run log: plain text, no colour codes
        "DBT_USE_COLORS": "false",
    }


def dbt_docs_path(settings: Settings) -> Path:
    """Where the dbt build leaves its static documentation for the publish step."""
    return Path(settings.warehouse).parent / "dbt_docs" / "index.html"


DOCS_PRINT = "index.print"  # beside the docs: the print of what they show (docs_to_write)


def registry_vars() -> dict[str, Any]:
    """The file sources, declared once in ``connectors.exports.LAYOUTS``: every dbt command
    of the project passes them, so the quarantine, reconciliation, unit rule and warnings
    loop over the same list (macros/registry.sql)."""
    return {"file_sources": [layout.dbt_registry() for layout in LAYOUTS]}


def dbt_vars(settings: Settings) -> dict[str, Any]:
    return {
        "unit_quarantine_threshold": settings.unit_quarantine_threshold,
        "source_quarantine_threshold": settings.source_quarantine_threshold,
        **registry_vars(),
    }


def dbt_build_args(
    settings: Settings, full_refresh: bool = False, unit_tests: bool = False, plan: BuildPlan | None = None
) -> list[str]:
    """The dbt CLI arguments of the pipeline's build (pure; unit tested); ``full_refresh``
    rebuilds the incremental models from raw. dbt's unit tests test the models' SQL, not the
    data: the pipeline leaves them out (as dbt advises: development and CI only), and the
    test suite's builds (``unit_tests``) run them. A ``plan`` (reach.plan_build) leaves out
    the nodes nothing new reaches."""
    return [
        "build",
        "--vars",
        json.dumps(dbt_vars(settings), sort_keys=True),
        *(["--exclude-resource-type", "unit_test"] * (not unit_tests)),
        *(["--full-refresh"] * full_refresh),
        *(plan.dbt_args() if plan is not None else []),
    ]


def plan_dbt_build(settings: Settings, manifest: Path, full_refresh: bool = False) -> BuildPlan:
    """What this warehouse's build has to build now (reach.plan_build), from the parsed project."""
    return plan_build(
        Path(settings.warehouse), json.loads(Path(manifest).read_text()), dbt_vars(settings), full_refresh=full_refresh
    )


def record_dbt_build(settings: Settings, plan: BuildPlan) -> None:
    """After the planned build succeeded (reach.record_build)."""
    record_build(Path(settings.warehouse), plan)


def dbt_command(args: Sequence[str], target: Path | None = None, project: Path = DBT_DIR) -> list[str]:
    """The command line of dbt (the one beside this Python) with ``args`` on ``project`` (its
    profile beside it), its artifacts in ``target`` when given (else the project's)."""
    return [
        *dbt_argv(),
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        *(["--target-path", str(target)] if target is not None else []),
    ]


def run_dbt(
    settings: Settings, args: Sequence[str], target: Path | None = None, project: Path = DBT_DIR
) -> subprocess.CompletedProcess:
    """dbt with ``args`` on this settings' warehouse, outside Dagster (the bench, the tests),
    its output captured."""
    return subprocess.run(
        dbt_command(args, target, project),
        env={**os.environ, **dbt_env(settings)},
        cwd=project,
        capture_output=True,
        text=True,
    )


@dataclass(frozen=True)
class PlannedBuild:
    """A build outside Dagster: dbt's finished process and the plan it ran."""

    done: subprocess.CompletedProcess
    plan: BuildPlan


def planned_build(
    settings: Settings, *extra: str, target: Path | None = None, unit_tests: bool = False
) -> PlannedBuild:
    """The pipeline's build outside Dagster: planned as the pipeline plans it (what the new
    data reaches), run, and recorded when it succeeded. ``--full-refresh`` among ``extra``
    builds everything, as the pipeline's full refresh does."""
    full_refresh = "--full-refresh" in extra
    plan = plan_dbt_build(settings, ensure_manifest(), full_refresh)
    args = [*dbt_build_args(settings, unit_tests=unit_tests, plan=plan), *extra]
    done = run_dbt(settings, args, target)
    if done.returncode == 0:
        record_dbt_build(settings, plan)
    return PlannedBuild(done, plan)


def dbt_docs_args(settings: Settings) -> list[str]:
    """The static documentation, with the build's vars (so dbt's partial parse holds)."""
    return ["docs", "generate", "--static", "--vars", json.dumps(dbt_vars(settings), sort_keys=True)]


def docs_to_write(settings: Settings, manifest: dict) -> str | None:
    """The print of what the dbt docs of this warehouse would show now (reach.docs_print),
    or None when the file written last shows just that: ``dbt docs generate`` (dbt's start,
    the whole project compiled, the catalog read: 6 s at any size) is run for a changed
    project or a changed shape, not for new rows."""
    written = dbt_docs_path(settings)
    now = docs_print(Path(settings.warehouse), manifest, dbt_vars(settings))
    stamp = written.with_name(DOCS_PRINT)
    if written.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == now:
        return None
    return now


def save_docs(settings: Settings, static_index: Path, print_: str) -> Path:
    """Put the docs dbt just generated where the publication takes them, with their print
    (written last: a copy that did not finish is generated again next time)."""
    written = dbt_docs_path(settings)
    written.parent.mkdir(parents=True, exist_ok=True)
    written.with_name(DOCS_PRINT).unlink(missing_ok=True)
    shutil.copyfile(static_index, written)
    written.with_name(DOCS_PRINT).write_text(print_, encoding="utf-8")
    return written


def write_docs(settings: Settings, manifest: dict, build_target: Path | None = None) -> bool:
    """The dbt step's docs (the pipeline's, the bench's), after a build whose artifacts are in
    ``build_target`` (else the project's): generated when ``docs_to_write`` says so, with the
    build's parse (as dagster-dbt does for its invocations); whether they were. A failure
    names dbt's last words on its first line (the run's one-line error)."""
    print_ = docs_to_write(settings, manifest)
    if print_ is None:
        return False
    build_target = build_target if build_target is not None else DBT_DIR / "target"
    target = build_target / "docs"
    parsed = build_target / "partial_parse.msgpack"
    if parsed.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parsed, target / parsed.name)
    done = run_dbt(settings, dbt_docs_args(settings), target)
    if done.returncode:
        said = [line.strip() for line in f"{done.stdout}\n{done.stderr}".splitlines() if line.strip()]
        last = said[-1] if said else f"exit {done.returncode}"
        raise RuntimeError(f"dbt docs generate failed: {last}\n{done.stdout[-2000:]}{done.stderr[-1000:]}")
    save_docs(settings, target / "static_index.html", print_)
    return True


KEEP_TARGETS = 5  # dagster-dbt's invocation folders kept in the project's target (the newest)


def prune_targets(current: Path, keep: int = KEEP_TARGETS) -> int:
    """dagster-dbt writes each invocation's artifacts in a folder of its own beside ``current``
    (``<op>-<run>-<id>``: the manifest, the run's results, the docs; about 25 MB a build), and
    nothing removes them. The newest ``keep`` of the op's folders stay, ``current`` among
    them (a failed run's results can still be read); returns how many went."""
    op = current.name.split("-")[0]
    others = [p for p in current.parent.glob(f"{op}-*") if p.is_dir() and p != current]
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    gone = others[max(keep - 1, 0) :]
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return len(gone)


def _newest_source_mtime() -> float:
    newest = 0.0
    for sub in ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml"):
        path = DBT_DIR / sub
        files = [path] if path.is_file() else path.rglob("*")
        for f in files:
            if f.is_file():
                newest = max(newest, f.stat().st_mtime)
    return newest


def manifest_path() -> Path:
    """Where dbt's manifest is (``ensure_manifest`` keeps it current): the marts' keys are read from it."""
    return DBT_DIR / "target" / "manifest.json"


def ensure_manifest(settings: Settings | None = None) -> Path:
    """Parse the dbt project when its manifest is missing, older than its files, or parsed
    for other settings. Parsing with the vars and profile environment the build will use
    lets the build reuse dbt's partial parse instead of parsing the project again."""
    manifest = manifest_path()
    stamp = DBT_DIR / "target" / ".cchc_parse_settings.json"
    env = (
        dbt_env(settings)
        if settings is not None
        else {"CCHC_WAREHOUSE": os.environ.get("CCHC_WAREHOUSE", str(DBT_DIR / "target" / "parse.duckdb"))}
    )
    key = json.dumps({"env": env, "vars": dbt_vars(settings) if settings is not None else None}, sort_keys=True)
    fresh = (
        manifest.exists()
        and manifest.stat().st_mtime >= _newest_source_mtime()
        and stamp.exists()
        and (settings is None or stamp.read_text() == key)
    )
    if not fresh:
        vars_ = dbt_vars(settings) if settings is not None else registry_vars()
        args = ["parse", "--quiet", "--vars", json.dumps(vars_, sort_keys=True)]
        subprocess.run(dbt_command(args), check=True, env={**os.environ, **env}, cwd=DBT_DIR)
        stamp.write_text(key)
    return manifest
