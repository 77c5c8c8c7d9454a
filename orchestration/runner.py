"""Running the pipeline's Dagster job in process (what ``cchc run``, ``cchc demo`` and
``cchc report --final`` do), under the warehouse's run lock, and saying why when it did not
publish: each failed rule with its row count and examples, each failed step."""

from __future__ import annotations

import os
import re
import sys
import time

from orchestration.runlock import run_lock
from orchestration.runlog import DETAIL, is_verbose, progress, run_log, vietnam_time
from orchestration.settings import Settings

PUBLISHED, SERVING_FAILED, BLOCKED, SOURCE_FAILED = "published", "serving_failed", "blocked", "source_failed"
SERVING_STEP = "serving__marts"


def run_pipeline(settings: Settings, suites=None, job_name: str | None = None, run_config: dict | None = None) -> bool:
    """Run the pipeline job (or another job) in process; print why when it failed. True
    when the release's files were published (the serving database may have failed: see
    ``run_pipeline_outcome``)."""
    return run_pipeline_outcome(settings, suites, job_name, run_config) in (PUBLISHED, SERVING_FAILED)


def run_pipeline_outcome(
    settings: Settings, suites=None, job_name: str | None = None, run_config: dict | None = None
) -> str:
    """``published``; ``serving_failed`` (the files are published, the serving database
    keeps its previous release); ``blocked`` (a rule or a build step failed: nothing
    published); or ``source_failed`` (a source could not be read: nothing published).
    The console gets a line per phase; everything else goes to the run log."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    from dagster import DagsterInstance

    from orchestration.definitions import PIPELINE_JOB, build_definitions

    # One run at a time: taken before anything is written (a second run waits or stops here).
    with run_lock(settings.warehouse, settings.run_lock_wait_seconds), run_log(settings.warehouse) as log_path:
        started = time.monotonic()
        DETAIL.info("run started %s (Viet Nam time, UTC+7)", f"{vietnam_time():%d/%m/%Y %H:%M}")
        defs = build_definitions(settings, suites=suites)
        job = defs.resolve_job_def(job_name or PIPELINE_JOB)
        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        # Dagster's own console lines (and stack traces) go to the run log, not the console
        console_level = "INFO" if is_verbose() else "CRITICAL"
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": console_level}}}, **(run_config or {})},
        )
        _log_events(result)
        elapsed = time.monotonic() - started
        outcome = _outcome(result)
        if outcome == PUBLISHED:
            progress(
                None, f"run finished in {elapsed:.0f} s: published under {settings.publish_dir} (full log: {log_path})"
            )
        else:
            _say_why(settings, result, outcome, log_path)
    return outcome


def _ingest_steps() -> set[str]:
    from orchestration.defs.ingest.assets import ingest_assets

    return {asset.node_def.name for asset in ingest_assets if hasattr(asset, "node_def")}


def _outcome(result) -> str:
    if result.success:
        return PUBLISHED
    failed_steps = {event.step_key for event in result.get_step_failure_events()}
    if failed_steps == {SERVING_STEP}:
        return SERVING_FAILED
    if failed_steps & _ingest_steps():
        return SOURCE_FAILED
    return BLOCKED


def cause(error) -> str:
    """The cause of a step's failure in one line, in the words of whoever raised it: the
    innermost error of the chain (Dagster wraps the source's own error), without its class."""
    while error is not None and (error.cause is not None or error.context is not None):
        inner = error.cause or error.context
        if inner.cls_name in ("KeyboardInterrupt",):
            break
        error = inner
    if error is None:
        return "unknown error"
    if error.cls_name == "DagsterDbtCliRuntimeError":
        return _dbt_cause(error.message)
    line = (error.message.strip().splitlines() or ["unknown error"])[0]
    head, sep, rest = line.partition(": ")
    if sep and head.replace(".", "").replace("_", "").isalnum():
        line = rest  # "connectors.portal.PortalError: the portal …" -> "the portal …"
    return line


def _dbt_cause(message: str) -> str:
    """dagster-dbt's error for a dbt process that failed opens with its command, over several
    lines; in one line: dbt's exit code and the last error dbt logged (its whole output is in
    the run log)."""
    code = re.search(r"failed with exit code `(-?\d+)`", message)
    said = f"dbt ended with exit code {code.group(1)}" if code else "dbt failed"
    _, found, parsed = message.partition("Errors parsed from dbt logs:")
    errors = [line.strip() for line in parsed.splitlines() if line.strip()] if found else []
    return f"{said}: {errors[-1]}" if errors else f"{said} (what it said is in the full log)"


def _log_events(result) -> None:
    """Dagster's events of the run, with every failure's stack trace, into the run log."""
    for event in result.all_events:
        DETAIL.info("dagster %s %s: %s", event.event_type_value, event.step_key or "-", event.message or "")
        if event.is_step_failure:
            error = event.step_failure_data.error
            if error is not None:
                DETAIL.info("step %s failed:\n%s", event.step_key, error.to_string())


def _say_why(settings: Settings, result, outcome: str, log_path) -> None:
    err = sys.stderr
    failures = result.get_step_failure_events()
    if outcome == SERVING_FAILED:
        error = failures[0].step_failure_data.error
        print(
            f"\nPUBLISHED the files at {settings.publish_dir}, but the serving database was not updated "
            f"(it keeps its previous release; the next run loads it again): {cause(error)}",
            file=err,
        )
        print(f"  full log: {log_path}", file=err)
        return
    if outcome == SOURCE_FAILED:
        print(
            "\nRUN FAILED: a source could not be read; nothing was published (the previous publication stays).",
            file=err,
        )
    else:
        print("\nPUBLICATION BLOCKED: the previous publication stays in place.", file=err)
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        meta = {k: getattr(v, "value", v) for k, v in (check.metadata or {}).items()}
        count = meta.get("failed_row_count", meta.get("dagster_dbt/failed_row_count", "?"))
        severity = "warning" if str(check.severity).endswith("WARN") else "rule"
        print(
            f"  {severity} {check.check_name} on {check.asset_key.to_user_string()}: {count} rows failed",
            file=err,
        )
        for failure in meta.get("failed_expectations") or []:
            print(
                f"    {failure['expectation']} ({failure['column']}): {failure['rows']} rows, "
                f"e.g. {failure['examples'][:3]}",
                file=err,
            )
        for example in dbt_failure_examples(settings, check.check_name):
            print(f"    e.g. {example}", file=err)
    for event in failures:
        print(f"  step {event.step_key} failed: {cause(event.step_failure_data.error)}", file=err)
    print(f"  full log: {log_path}", file=err)


def dbt_failure_examples(settings: Settings, test_name: str, limit: int = 3) -> list[tuple]:
    """A few failing rows of a dbt test (dbt stores them: ``+store_failures``)."""
    import duckdb

    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error:
        return []
    try:
        return con.execute(f'select * from dbt_test__audit."{test_name}" limit {limit}').fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
