"""Great Expectations suites as Dagster asset checks (one op runs them all, one GX load).

A failed check of a blocking suite has severity ERROR and is blocking: the publish asset,
downstream of the checked marts, does not run, and the previous publication stays."""

import time

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from expectations.runner import data_docs_dir, run_suites
from expectations.suites import ALL_SUITES
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource, settings_from
from orchestration.runlog import progress


def build_quality_checks(suites=ALL_SUITES):
    specs = [
        AssetCheckSpec(name=s.name, asset=AssetKey([s.asset]), blocking=s.blocking, description=s.description)
        for s in suites
    ]

    @multi_asset_check(
        specs=specs,
        name="gx_suites",
        pool=WAREHOUSE_POOL,
        can_subset=True,
        description="Great Expectations suites over the working warehouse (read-only, batch by batch).",
    )
    def gx_suites(context: AssetCheckExecutionContext, warehouse: WarehouseResource):
        settings = settings_from(warehouse)
        started = time.monotonic()
        selected = context.selected_asset_check_keys
        chosen = [s for s in suites if any(k.name == s.name and k.asset_key == AssetKey([s.asset]) for k in selected)]
        outcomes = run_suites(
            settings.warehouse,
            chosen,
            settings.quality_dir,
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
        )
        docs = data_docs_dir(settings.quality_dir) / "index.html"
        failed_suites = [o.suite.name for o in outcomes if not o.passed]
        reused = sum(o.reused for o in outcomes)  # rows unchanged: the last validation's outcome
        progress(
            context,
            f"checks: Great Expectations {len(outcomes) - len(failed_suites)} of {len(outcomes)} suites passed"
            + (f"; failed: {', '.join(failed_suites)}" if failed_suites else "")
            + (f"; {reused} with rows unchanged since their last validation" if reused else "")
            + f" ({time.monotonic() - started:.0f} s)",
        )
        for outcome in outcomes:
            suite = outcome.suite
            failed = outcome.failed
            metadata = {
                "rows": outcome.rows,
                "batches": outcome.batches,
                "reused": outcome.reused,
                "failed_row_count": sum(e.unexpected_count for e in failed),
                "failed_expectations": MetadataValue.json(
                    [
                        {
                            "expectation": e.expectation,
                            "column": e.column,
                            "rows": e.unexpected_count,
                            "examples": e.examples,
                        }
                        for e in failed
                    ]
                ),
                "data_docs": MetadataValue.path(str(docs)),
            }
            if outcome.error:
                metadata["error"] = outcome.error
            if not outcome.passed:
                context.log.warning(outcome.summary())
            yield AssetCheckResult(
                check_name=suite.name,
                asset_key=AssetKey([suite.asset]),
                passed=outcome.passed,
                severity=AssetCheckSeverity.ERROR if suite.blocking else AssetCheckSeverity.WARN,
                description=outcome.summary()[:1000],
                metadata=metadata,
            )

    return gx_suites
