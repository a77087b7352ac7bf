"""Ingestion assets: one per source table, grouped by source (app, stripe, costs).

Bodies are thin: they call the ingestion library and report row counts and cursors as metadata.
A table that fails fails the step after the others are committed, so the run stops before dbt
and the dashboards keep their last good numbers; the step retries with backoff (orchestration/lib/retries.py).
"""


from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, MetadataValue, multi_asset

from ingestion.app_db import APP_TABLES, load_app_tables
from ingestion.common.ops import TableLoadResult
from ingestion.costs import COST_TABLES, load_costs
from ingestion.stripe import RESOURCES, load_stripe
from orchestration.lib.instance import FULL_REFRESH_TAG
from orchestration.lib.resources import AppDatabase, StripeApi, Warehouse
from orchestration.lib.retries import SOURCE_RETRY


def _specs(schema: str, tables: tuple[str, ...], group: str, description: str) -> list[AssetSpec]:
    return [
        AssetSpec(AssetKey([schema, table]), group_name=group, kinds={"postgres"}, skippable=True,
                  description=f"{description} `{table}`, landed in {schema}.{table}.")
        for table in tables
    ]


def _full(context: AssetExecutionContext) -> bool:
    return context.run.tags.get(FULL_REFRESH_TAG) == "true"


def _report(context: AssetExecutionContext, schema: str, results: list[TableLoadResult]) -> Iterator[MaterializeResult]:
    """A materialization per loaded table; then fail the step if any table failed."""
    for result in results:
        if not result.ok:
            continue
        key = AssetKey([schema, result.table])
        if key not in context.selected_asset_keys:
            continue
        yield MaterializeResult(asset_key=key, metadata={
            "rows_inserted": result.inserted, "rows_updated": result.updated, "rows_deleted": result.deleted,
            "rows_quarantined": result.quarantined, "cursor": MetadataValue.json(result.cursor_after or {}),
            "seconds": round(result.duration_seconds, 2), **({"warning": result.warning} if result.warning else {}),
        })
    failed = [r for r in results if not r.ok]
    if failed:
        raise Failure(
            description=f"{len(failed)} table(s) failed to load: "
            + "; ".join(f"{r.source}.{r.table}: {r.error}" for r in failed),
            metadata={"failed_tables": [r.table for r in failed]},
        )


@multi_asset(specs=_specs("raw_app", APP_TABLES, "app", "The app database table"), can_subset=True,
             retry_policy=SOURCE_RETRY, name="app_tables")
def app_tables(context: AssetExecutionContext, warehouse: Warehouse, app_database: AppDatabase):
    tables = [key.path[-1] for key in context.selected_asset_keys]
    results = load_app_tables(app_database.url, warehouse.url("loader"), tables=tables, full_refresh=_full(context),
                              reconcile=_full(context), late_window=app_database.late_window)
    yield from _report(context, "raw_app", results)


@multi_asset(specs=_specs("raw_stripe", (*RESOURCES, "events"), "stripe", "Stripe's"), can_subset=True,
             retry_policy=SOURCE_RETRY, name="stripe_objects")
def stripe_objects(context: AssetExecutionContext, warehouse: Warehouse, stripe_api: StripeApi):
    # In RESOURCES order, events last (selected_asset_keys is a set; load_stripe orders them too).
    resources = [table for table in (*RESOURCES, "events")
                 if AssetKey(["raw_stripe", table]) in context.selected_asset_keys]
    results = load_stripe(stripe_api.api_key, stripe_api.api_base, warehouse.url("loader"), resources=resources,
                          full_resync=_full(context), policy=stripe_api.retry_policy())
    for warning in dict.fromkeys(r.warning for r in results if r.warning):
        context.log.warning(warning)  # a Stripe events gap that forced a full resync
    yield from _report(context, "raw_stripe", results)


@multi_asset(specs=_specs("raw_costs", COST_TABLES, "costs", "Provider prices from prices.yml,"),
             name="provider_prices")
def provider_prices(context: AssetExecutionContext, warehouse: Warehouse):
    yield from _report(context, "raw_costs", load_costs(warehouse.url("loader")))
