"""The publication asset: downstream of every mart, so a failed check stops it."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from expectations.runner import data_docs_dir
from orchestration.defs.dbt.project import dbt_docs_path
from orchestration.publish import publish
from orchestration.resources import WAREHOUSE_POOL, PublicationResource, WarehouseResource, settings_from


def build_publish_asset(mart_keys: list[AssetKey]):
    @asset(
        key=AssetKey(["published", "release"]),
        group_name="publish",
        deps=mart_keys,
        pool=WAREHOUSE_POOL,
        description="Bản công bố: a new release of the marts (DuckDB + Parquet), switched in atomically.",
    )
    def published_release(
        context: AssetExecutionContext, warehouse: WarehouseResource, publication: PublicationResource
    ):
        settings = settings_from(warehouse, publication)
        release = publish(settings, data_docs=data_docs_dir(settings.quality_dir), dbt_docs=dbt_docs_path(settings))
        context.log.info(f"published release {release.release_id} to {settings.publish_dir}")
        return MaterializeResult(
            metadata={
                "release_id": release.release_id,
                "path": str(release.path),
                **{f"rows.{name}": count for name, count in release.tables.items()},
            }
        )

    return published_release
