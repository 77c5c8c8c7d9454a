"""Raw landing assets: the portal (DOMAIN.md 2.1) and the files dropped in the drop folders
(the ministry's and payment exports, 2.2 and 2.3; the units' report forms, 7)."""

import time
from datetime import timedelta

from dagster import AssetExecutionContext, AssetKey, AssetSpec, FreshnessPolicy, MaterializeResult, asset, multi_asset

from connectors.exports import LAYOUTS
from orchestration.ingest import client_from_settings, ingest_dossiers, ingest_procedures, ingest_ratings
from orchestration.intake import FOLDERS, folder_env, intake_folder
from orchestration.resources import (
    WAREHOUSE_POOL,
    DropFoldersResource,
    PortalResource,
    WarehouseResource,
    settings_from,
)
from orchestration.runlog import progress
from orchestration.settings import Settings
from orchestration.warehouse import open_warehouse

GROUP = "portal_raw"
# The portal is read every day (02:00): a raw portal table not updated for a day and a half
# is late (warning), for two days stale (failing freshness in the UI). The runs do not wait
# on it.
PORTAL_FRESHNESS = FreshnessPolicy.time_window(fail_window=timedelta(days=2), warn_window=timedelta(hours=36))


def _run(context: AssetExecutionContext, settings: Settings, ingest) -> MaterializeResult:
    client = client_from_settings(settings)
    started = time.monotonic()
    with open_warehouse(settings) as con:
        result = ingest(con, client, settings)
    progress(
        context,
        f"{result.source}: {result.rows:,} records in {result.batches} batches "
        f"({client.requests_made} requests, {client.retries} retries, {time.monotonic() - started:.0f} s)",
    )
    return MaterializeResult(
        metadata={**result.as_metadata(), "requests": client.requests_made, "retries": client.retries}
    )


@asset(
    key=AssetKey(["raw", "portal_procedures"]),
    group_name=GROUP,
    freshness_policy=PORTAL_FRESHNESS,
    pool=WAREHOUSE_POOL,
    description="Danh mục TTHC (thu-tuc): the whole procedure catalogue, one batch per run.",
)
def portal_procedures(context: AssetExecutionContext, warehouse: WarehouseResource, portal: PortalResource):
    return _run(context, settings_from(warehouse, portal), ingest_procedures)


@asset(
    key=AssetKey(["raw", "portal_dossiers"]),
    group_name=GROUP,
    freshness_policy=PORTAL_FRESHNESS,
    pool=WAREHOUSE_POOL,
    deps=[AssetKey(["raw", "portal_procedures"])],
    description="Hồ sơ TTHC (ho-so): dossier versions updated since the cursor, personal data scrubbed.",
)
def portal_dossiers(context: AssetExecutionContext, warehouse: WarehouseResource, portal: PortalResource):
    return _run(context, settings_from(warehouse, portal), ingest_dossiers)


@asset(
    key=AssetKey(["raw", "portal_ratings"]),
    group_name=GROUP,
    freshness_policy=PORTAL_FRESHNESS,
    pool=WAREHOUSE_POOL,
    deps=[AssetKey(["raw", "portal_dossiers"])],
    description="Đánh giá mức độ hài lòng (danh-gia): ratings since the cursor.",
)
def portal_ratings(context: AssetExecutionContext, warehouse: WarehouseResource, portal: PortalResource):
    return _run(context, settings_from(warehouse, portal), ingest_ratings)


# The batch register is written by every ingest asset in the same transaction as its rows.
batch_register = AssetSpec(
    key=AssetKey(["raw", "batches"]),
    group_name=GROUP,
    description="Sổ lô nạp dữ liệu: one row per landed batch with the rows it read.",
)

FILES_GROUP = "files_raw"
# Every file seen in an input folder (loaded or rejected), written by the intake assets.
file_register = AssetSpec(
    key=AssetKey(["raw", "files"]),
    group_name=FILES_GROUP,
    description=f"Sổ tệp nhận: every file seen in {' / '.join(folder_env(f) for f in FOLDERS)}, by content "
    "hash; loaded, or rejected with the reason.",
)


def _intake_asset(folder: str):
    """The intake of one drop folder: one asset per layout of the folder (connectors.exports.LAYOUTS)."""
    layouts = [layout for layout in LAYOUTS if layout.folder == folder]
    specs = [AssetSpec(AssetKey(["raw", layout.table]), description=layout.description) for layout in layouts]

    @multi_asset(
        specs=specs,
        group_name=FILES_GROUP,
        pool=WAREHOUSE_POOL,
        name=f"{folder}_exports",
        description=f"Files dropped in {folder_env(folder)}, known by content hash and kind: "
        + "; ".join(layout.description for layout in layouts),
    )
    def _assets(context: AssetExecutionContext, warehouse: WarehouseResource, drop_folders: DropFoldersResource):
        settings = settings_from(warehouse, drop_folders)
        started = time.monotonic()
        with open_warehouse(settings) as con:
            result = intake_folder(con, settings, folder)
        say = progress if result.directory else lambda ctx, line: ctx.log.info(line)  # no folder: nothing to say
        say(
            context,
            f"{folder}: {result.files_loaded} files loaded ({result.rows:,} rows), "
            f"{result.files_already_loaded} already loaded, {result.files_rejected} rejected "
            f"({time.monotonic() - started:.0f} s)",
        )
        for line in result.rejected:
            context.log.warning(f"rejected: {line}")
        for spec in specs:
            yield MaterializeResult(asset_key=spec.key, metadata=result.as_metadata())

    return _assets


intake_assets = [_intake_asset(folder) for folder in FOLDERS]

ingest_assets = [portal_procedures, portal_dossiers, portal_ratings, batch_register, file_register, *intake_assets]
