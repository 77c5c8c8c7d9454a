"""Running the pipeline's Dagster job in process (what ``cchc run``, ``cchc demo`` and
``cchc report --final`` do), under the warehouse's run lock, and saying why when it did not
publish: each failed rule with its row count and examples, each failed step."""

from __future__ import annotations

import logging
import os
import sys
import time

from orchestration.runlock import run_lock
from orchestration.settings import Settings

log = logging.getLogger("cchc")


PUBLISHED, SERVING_FAILED, BLOCKED = "published", "serving_failed", "blocked"
SERVING_STEP = "serving__marts"


def run_pipeline(settings: Settings, suites=None, job_name: str | None = None, run_config: dict | None = None) -> bool:
    """Run the pipeline job (or another job) in process; print why when it failed. True
    when the release's files were published (the serving database may have failed: see
    ``run_pipeline_outcome``)."""
    return run_pipeline_outcome(settings, suites, job_name, run_config) != BLOCKED


def run_pipeline_outcome(
    settings: Settings, suites=None, job_name: str | None = None, run_config: dict | None = None
) -> str:
    """``published``; ``serving_failed`` (the files are published, the serving database
    keeps its previous release); or ``blocked`` (nothing published)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    from dagster import DagsterInstance

    from orchestration.definitions import PIPELINE_JOB, build_definitions

    # One run at a time: taken before anything is written (a second run waits or stops here).
    with run_lock(settings.warehouse, settings.run_lock_wait_seconds):
        defs = build_definitions(settings, suites=suites)
        job = defs.resolve_job_def(job_name or PIPELINE_JOB)
        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        started = time.monotonic()
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}, **(run_config or {})},
        )
    elapsed = time.monotonic() - started
    if result.success:
        log.info("pipeline finished in %.1fs; publication at %s", elapsed, settings.publish_dir)
        return PUBLISHED
    failed_steps = [event.step_key for event in result.get_step_failure_events()]
    if failed_steps == [SERVING_STEP]:
        error = result.get_step_failure_events()[0].step_failure_data.error
        cause = (error.message.strip().splitlines() or ["unknown error"])[0] if error else "unknown error"
        cause = cause.split(": ", 1)[1] if cause.startswith("dagster._core.definitions.events.Failure") else cause
        print(
            f"\nPUBLISHED the files at {settings.publish_dir}, but the serving database was not updated "
            f"(it keeps its previous release; the next run loads it again): {cause}",
            file=sys.stderr,
        )
        return SERVING_FAILED
    print("\nPUBLICATION BLOCKED: the previous publication stays in place.", file=sys.stderr)
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        meta = {k: getattr(v, "value", v) for k, v in (check.metadata or {}).items()}
        count = meta.get("failed_row_count", meta.get("dagster_dbt/failed_row_count", "?"))
        severity = "warning" if str(check.severity).endswith("WARN") else "rule"
        print(
            f"  {severity} {check.check_name} on {check.asset_key.to_user_string()}: {count} rows failed",
            file=sys.stderr,
        )
        for failure in meta.get("failed_expectations") or []:
            print(
                f"    {failure['expectation']} ({failure['column']}): {failure['rows']} rows, "
                f"e.g. {failure['examples'][:3]}",
                file=sys.stderr,
            )
        for example in dbt_failure_examples(settings, check.check_name):
            print(f"    e.g. {example}", file=sys.stderr)
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else "unknown error"
        print(f"  step {event.step_key} failed: {message}", file=sys.stderr)
    return BLOCKED


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
