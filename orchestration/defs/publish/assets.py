"""The publication asset, downstream of every mart (a failed check stops it), and the
serving database loaded from the release it wrote."""

import time
from pathlib import Path

from dagster import AssetCheckResult, AssetExecutionContext, AssetKey, Failure, MaterializeResult, asset, asset_check

from expectations.runner import data_docs_dir
from orchestration.defs.dbt.project import dbt_docs_path, manifest_path
from orchestration.publish import publish
from orchestration.resources import (
    WAREHOUSE_POOL,
    PortalResource,
    PublicationResource,
    WarehouseResource,
    settings_from,
)
from orchestration.runlog import progress
from orchestration.serving import ServingError, compare_with_release, load_release, safe_target


def build_publish_asset(mart_keys: list[AssetKey]):
    @asset(
        key=AssetKey(["published", "release"]),
        group_name="publish",
        deps=mart_keys,
        pool=WAREHOUSE_POOL,
        description="Bản công bố: a new release of the marts (DuckDB + Parquet), switched in atomically.",
    )
    def published_release(
        context: AssetExecutionContext,
        warehouse: WarehouseResource,
        publication: PublicationResource,
        portal: PortalResource,
    ):
        settings = settings_from(warehouse, publication, portal)  # the portal's base URL goes in release_info
        started = time.monotonic()
        progress(context, f"publishing: writing a new release under {settings.publish_dir} …")
        release = publish(settings, data_docs=data_docs_dir(settings.quality_dir), dbt_docs=dbt_docs_path(settings))
        progress(
            context,
            f"published release {release.release_id} ({len(release.tables)} marts, {time.monotonic() - started:.0f} s)",
        )
        return MaterializeResult(
            metadata={
                "release_id": release.release_id,
                "path": str(release.path),
                **{f"rows.{name}": count for name, count in release.tables.items()},
            }
        )

    return published_release


SERVING_KEY = AssetKey(["serving", "marts"])


@asset(
    key=SERVING_KEY,
    group_name="publish",
    deps=[AssetKey(["published", "release"])],
    description="Cơ sở dữ liệu phục vụ BI: the release loaded into PostgreSQL (CCHC_SERVING_URL) and switched in "
    "atomically; nothing to do when it is not set.",
)
def serving_marts(context: AssetExecutionContext, publication: PublicationResource):
    settings = settings_from(publication)
    if not settings.serving_url:
        context.log.info("no serving database configured (CCHC_SERVING_URL); the files are the publication")
        return MaterializeResult(metadata={"configured": False})
    release = (Path(settings.publish_dir) / "current").resolve()
    try:
        loaded = load_release(
            settings.serving_url,
            release,
            manifest_path(),
            settings.serving_reader_role,
            settings.serving_timeout_seconds,
            work_dir=Path(settings.publish_dir) / "releases",
        )
    except ServingError as exc:
        raise Failure(description=str(exc), metadata={"database": safe_target(settings.serving_url)}) from None
    rows = sum(loaded.tables.values())
    progress(
        context,
        f"serving database {safe_target(settings.serving_url)}: release {loaded.release_id} loaded and switched in "
        f"({len(loaded.tables)} tables, {rows:,} rows, {loaded.seconds:.1f} s)",
    )
    return MaterializeResult(
        metadata={
            "configured": True,
            "release_id": loaded.release_id,
            "seconds": round(loaded.seconds, 1),
            **{f"rows.{name}": count for name, count in loaded.tables.items()},
        }
    )


@asset_check(
    asset=SERVING_KEY, blocking=False, description="Each table's row count and key checksum equal the release's."
)
def serving_matches_release(publication: PublicationResource) -> AssetCheckResult:
    settings = settings_from(publication)
    if not settings.serving_url:
        return AssetCheckResult(passed=True, metadata={"configured": False})
    release = (Path(settings.publish_dir) / "current").resolve()
    try:
        differences = compare_with_release(
            settings.serving_url, release, manifest_path(), settings.serving_timeout_seconds
        )
    except ServingError as exc:
        return AssetCheckResult(passed=False, metadata={"error": str(exc)})
    return AssetCheckResult(passed=not differences, metadata={"differences": "; ".join(differences) or "none"})
