"""Making a report final: the asset that keeps a reporting period's published figures."""

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, asset

from orchestration.finals import finalize_report
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource, settings_from

FINALS_KEY = AssetKey(["raw", "report_finals"])


class FinalizeConfig(Config):
    period_key: str  # e.g. 2024-BC-Q1


@asset(
    key=FINALS_KEY,
    group_name="reports",
    pool=WAREHOUSE_POOL,
    description="Số liệu báo cáo đã chốt: the figures of reports made final, kept as reported.",
)
def report_finals(context: AssetExecutionContext, config: FinalizeConfig, warehouse: WarehouseResource):
    stored = finalize_report(settings_from(warehouse), config.period_key)
    context.log.info(
        f"report {config.period_key}: {stored} figures made final"
        + ("" if stored else " (it was final already: figures kept as first reported)")
    )
    return MaterializeResult(metadata={"period_key": config.period_key, "rows_stored": stored})
