"""Publish: after the marts are built and their blocking checks pass, bring Superset in line with
semantic/ and warm every chart's cache, so the first viewer after an hourly run does not wait.

Superset being down never fails the pipeline: the marts are already good; the step says publishing was
skipped and why, and the next run publishes again.
"""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.resources import Warehouse
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import libpq_dsn
from semantic.superset import admin_client, publish
from semantic.superset.assets import MARTS_SCHEMA, load_dashboards

DASHBOARD_MARTS = sorted({chart.dataset for dashboard in load_dashboards() for chart in dashboard.charts})


@asset(
    key=AssetKey(["superset", "dashboards"]),
    group_name="bi",
    kinds={"superset"},
    deps=[AssetKey([MARTS_SCHEMA, mart]) for mart in DASHBOARD_MARTS],
    description="Superset datasets, charts and dashboards from semantic/, with every chart's cache warmed.",
)
def superset_dashboards(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    try:
        client = admin_client()
    except ReelhouseError as exc:
        context.log.warning(f"publishing skipped, the marts are up to date but Superset was not refreshed: {exc}")
        return MaterializeResult(metadata={"status": "skipped: Superset unreachable", "reason": str(exc)})
    provisioned, warmed = publish(client, libpq_dsn(warehouse.url("analyst")))
    for name, error in warmed.failed.items():
        context.log.warning(f"chart {name!r} could not be warmed: {error}")
    return MaterializeResult(metadata={
        "status": "published" if not warmed.failed else "published, some caches cold",
        "dashboards": provisioned.dashboards,
        "charts": provisioned.charts,
        "datasets": provisioned.datasets,
        "caches_warmed": len(warmed.warmed),
        "caches_failed": MetadataValue.json(warmed.failed),
        "removed": MetadataValue.json(provisioned.deleted),
    })
