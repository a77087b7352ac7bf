"""Publish: once every mart is built and its blocking checks pass, make the new marts the ones readers see,
then bring Superset in line with semantic/ and warm every chart's cache, so the first viewer after an hourly
run does not wait.

The incremental marts are views over versioned tables kept once (marts_store): publishing moves the live
schema's watermark to the published build and deletes the versions nobody can see any more, so a full rebuild
needs no copy back into the build schema. publish_marts (reelhouse/warehouse/marts.py) is the same function
`reelhouse db publish-marts` calls: one publishing path.

A failed model or blocking check skips both steps, so analysts, dashboards and the email keep the last good
numbers. Superset being down never fails the pipeline: the marts are already published; the step says
refreshing Superset was skipped and why, and the next run does it again.
"""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.lib.audited_rows import PUBLISHED_MARTS, publication_record
from orchestration.lib.dbt_project import mart_keys, published_relations
from orchestration.lib.resources import Superset, Warehouse
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import libpq_dsn
from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA, publish_marts
from semantic.superset import publish
from semantic.superset.assets import MARTS_SCHEMA, load_dashboards

DASHBOARD_MARTS = sorted({chart.dataset for dashboard in load_dashboards() for chart in dashboard.charts})
MART_KEYS = mart_keys()


@asset(
    key=PUBLISHED_MARTS,
    group_name="publish",
    kinds={"postgres"},
    deps=MART_KEYS,
    description=f"Every mart, built in {BUILD_SCHEMA} and checked there, swapped into {LIVE_SCHEMA} in one "
                "transaction: readers see the new marts only when all of them passed.",
)
def published_marts(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    publication = publish_marts(warehouse.url("transformer"), progress=context.log.info,
                                built_by_models=published_relations())
    context.log.info(f"published {publication.relations} marts into {LIVE_SCHEMA}")
    audited = publication_record(context.instance, context.run.run_id)
    return MaterializeResult(metadata={"relations": publication.relations,
                                       "previous_relations": publication.previous_relations,
                                       "watermark": (publication.watermark.isoformat() if publication.watermark
                                                     else "none"),
                                       "retired_versions_deleted": MetadataValue.json(publication.purged),
                                       "retired": MetadataValue.json(publication.retired),
                                       **audited})


@asset(
    key=AssetKey(["superset", "dashboards"]),
    group_name="bi",
    kinds={"superset"},
    deps=[PUBLISHED_MARTS, *(AssetKey([MARTS_SCHEMA, mart]) for mart in DASHBOARD_MARTS)],
    description="Superset datasets, charts and dashboards from semantic/, with every chart's cache warmed.",
)
def superset_dashboards(context: AssetExecutionContext, warehouse: Warehouse, superset: Superset) -> MaterializeResult:
    try:
        client = superset.client()
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
