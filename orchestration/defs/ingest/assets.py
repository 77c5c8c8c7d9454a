"""Raw landing assets of the portal (DOMAIN.md 2.1)."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, ResourceParam, asset

from orchestration.ingest import client_from_settings, ingest_dossiers, ingest_procedures, ingest_ratings
from orchestration.resources import WAREHOUSE_POOL
from orchestration.settings import Settings
from orchestration.warehouse import open_warehouse

GROUP = "portal_raw"


def _run(context: AssetExecutionContext, settings: Settings, ingest) -> MaterializeResult:
    client = client_from_settings(settings)
    with open_warehouse(settings) as con:
        result = ingest(con, client, settings)
    context.log.info(f"{result.source}: {result.rows} records in {result.batches} batches "
                     f"({client.requests_made} requests, {client.retries} retries)")
    return MaterializeResult(metadata={**result.as_metadata(), "requests": client.requests_made,
                                       "retries": client.retries})


@asset(key=AssetKey(["raw", "portal_procedures"]), group_name=GROUP, pool=WAREHOUSE_POOL,
       description="Danh mục TTHC (thu-tuc): the whole procedure catalogue, one batch per run.")
def portal_procedures(context: AssetExecutionContext, settings: ResourceParam[Settings]):
    return _run(context, settings, ingest_procedures)


@asset(key=AssetKey(["raw", "portal_dossiers"]), group_name=GROUP, pool=WAREHOUSE_POOL,
       deps=[AssetKey(["raw", "portal_procedures"])],
       description="Hồ sơ TTHC (ho-so): dossier versions updated since the cursor, personal data scrubbed.")
def portal_dossiers(context: AssetExecutionContext, settings: ResourceParam[Settings]):
    return _run(context, settings, ingest_dossiers)


@asset(key=AssetKey(["raw", "portal_ratings"]), group_name=GROUP, pool=WAREHOUSE_POOL,
       deps=[AssetKey(["raw", "portal_dossiers"])],
       description="Đánh giá mức độ hài lòng (danh-gia): ratings since the cursor.")
def portal_ratings(context: AssetExecutionContext, settings: ResourceParam[Settings]):
    return _run(context, settings, ingest_ratings)


# The batch register is written by every ingest asset in the same transaction as its rows.
batch_register = AssetSpec(key=AssetKey(["raw", "batches"]), group_name=GROUP,
                           description="Sổ lô nạp dữ liệu: one row per landed batch with the rows it read.")

ingest_assets = [portal_procedures, portal_dossiers, portal_ratings, batch_register]
