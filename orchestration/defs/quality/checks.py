"""Every Great Expectations suite in expectations/suites runs as an asset check on its table's asset.

A failed blocking expectation is an ERROR-severity failure of a blocking check, so Dagster does not
materialize anything downstream in that run — publishing the marts included; failed warnings are WARN and block
nothing. Mart suites validate the build schema, before readers can see it. In an hourly run, a raw table's row
expectations read the rows landed since the last published build (orchestration/lib/audited_rows.py), as dbt's row
tests on the staging views do.
"""

from datetime import datetime

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    asset_check,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource

from expectations.load_health import FRESHNESS_ERROR_AFTER, FRESHNESS_WARN_AFTER, row_count_anomalies
from expectations.runner import run_suite
from expectations.suite import Suite, load_suites
from orchestration.defs.quality.dbt_freshness import dbt_source_freshness
from orchestration.lib.audited_rows import audit_fingerprint, incremental_lookback, landed_since
from orchestration.lib.dbt_project import DBT_PROJECT_DIR, prepare_manifest
from orchestration.lib.instance import FULL_REFRESH_TAG
from orchestration.lib.resources import Warehouse
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect
from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA


def _check_for(suite: Suite):
    blocking = any(spec.blocking for spec in suite.expectations)

    @asset_check(
        asset=AssetKey([suite.schema, suite.table]),
        name=f"gx_{suite.table}",
        description=f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations)",
        blocking=blocking,
    )
    def _gx_check(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
        # A mart is audited where dbt built it, before publishing makes it the one readers see.
        is_mart = suite.schema == LIVE_SCHEMA
        schema = BUILD_SCHEMA if is_mart else suite.schema
        since = None if is_mart else _rows_landed_since(context)
        result = run_suite(suite, warehouse.url("transformer"), context.run.run_id, schema=schema, landed_since=since)
        failures = result.blocking_failures or result.warnings
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR if result.blocking_failures else AssetCheckSeverity.WARN,
            metadata={
                "expectations": len(result.outcomes),
                "rows_read": (f"row expectations: rows landed since {result.landed_since.isoformat()}, and rows"
                              " sharing their key" if result.landed_since else "every row"),
                "failed": MetadataValue.json(
                    [{"expectation": o.spec.label, "observed": str(o.observed_value),
                      "unexpected_count": o.unexpected_count, "blocking": o.spec.blocking} for o in failures]
                ),
                "data_docs": MetadataValue.url(result.data_docs_url or ""),
            },
        )

    return _gx_check


def _rows_landed_since(context: AssetCheckExecutionContext) -> datetime | None:
    """Where a raw table's row expectations start reading in this run: the last published build's start less the
    incremental lookback, if that build ran the same checks; None (every row) in a full rebuild or otherwise."""
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        return None
    since = landed_since(context.instance, audit_fingerprint(prepare_manifest()))
    return since - incremental_lookback(DBT_PROJECT_DIR) if since else None


def gx_asset_checks(asset_keys: set[AssetKey]) -> list:
    """Checks for the suites whose table is one of our assets (a suite for an unknown table is an error)."""
    suites = load_suites()
    unknown = sorted(s.name for s in suites.values() if AssetKey([s.schema, s.table]) not in asset_keys)
    if unknown:
        raise ValueError(f"suites for tables no asset produces: {', '.join(unknown)}")
    return [_check_for(suite) for suite in suites.values()]


def _source_of(key: AssetKey) -> str:
    return key.path[0].removeprefix("raw_")


def load_health_checks(ingestion_keys: set[AssetKey]) -> list:
    """A blocking freshness check on every table asset of the app and Stripe sources (dbt's own `source freshness`,
    one dbt process for both) and, per source, a warning row-count anomaly check (from ops.load_audit). The price
    file changes rarely, so it has neither (its dbt source declares no freshness, and says why)."""
    keys_by_source = {}
    for source in ("app", "stripe"):
        keys = sorted((k for k in ingestion_keys if _source_of(k) == source), key=lambda k: k.to_user_string())
        if keys:
            keys_by_source[source] = keys
    anomalies = [_anomaly_check(source, keys) for source, keys in keys_by_source.items()]
    return [_freshness_check(keys_by_source), *anomalies] if keys_by_source else []


_STATUS_ORDER = ("runtime error", "error", "warn", "pass")  # worst first


def _freshness_check(keys_by_source: dict[str, list[AssetKey]]):
    error, warn = FRESHNESS_ERROR_AFTER.total_seconds() / 3600, FRESHNESS_WARN_AFTER.total_seconds() / 3600
    specs = [AssetCheckSpec("source_freshness", asset=key, blocking=True,
                            description=f"dbt source freshness: data from {source} landed within {error:g} h"
                                        f" (warn after {warn:g} h)")
             for source, keys in keys_by_source.items() for key in keys]

    # One check over both sources: dbt's start-up and project loading, paid once an hour instead of once per source
    # (about 10 s each at any scale). Subsettable: a run that materializes one source's tables checks that source.
    @multi_asset_check(specs=specs, name="source_freshness", can_subset=True)
    def _check(context: AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        selected = {check.asset_key for check in context.selected_asset_check_keys}
        sources = [source for source, keys in keys_by_source.items() if selected & set(keys)]
        # dbt evaluates the freshness the project declares (dbt_project.yml thresholds, the source's loaded_at_query).
        by_table = dbt_source_freshness(dbt, warehouse.url("transformer"), [f"raw_{source}" for source in sources])
        for source in sources:
            measured = [freshness for key, freshness in by_table.items() if _source_of(key) == source]
            worst = min(measured, key=lambda t: _STATUS_ORDER.index(t.status)) if measured else None
            for key in keys_by_source[source]:
                if key not in selected:
                    continue
                freshness = by_table.get(key, worst)  # a table dbt does not declare shares its source's measure
                if freshness is None:
                    raise ReelhouseError(f"dbt source freshness measured no table of raw_{source}")
                yield AssetCheckResult(
                    asset_key=key, check_name="source_freshness", passed=freshness.passed,
                    severity=AssetCheckSeverity.WARN if freshness.passed else AssetCheckSeverity.ERROR,
                    metadata={"status": freshness.status, "detail": freshness.description},
                )

    return _check


def _anomaly_check(source: str, keys: list[AssetKey]):
    specs = [AssetCheckSpec("row_count_anomaly", asset=key, blocking=False,
                            description="rows landed in 24 h are at least half the trailing 7-day median")
             for key in keys]

    @multi_asset_check(specs=specs, name=f"{source}_row_count_anomaly")
    def _check(context: AssetCheckExecutionContext, warehouse: Warehouse):
        with connect(warehouse.url("transformer")) as conn:
            by_table = {a.table: a for a in row_count_anomalies(conn, source)}
        for key in keys:
            anomaly = by_table.get(key.path[-1])
            yield AssetCheckResult(
                asset_key=key, check_name="row_count_anomaly", passed=not (anomaly and anomaly.is_anomaly),
                severity=AssetCheckSeverity.WARN,
                metadata={"detail": anomaly.description if anomaly else "no loads recorded yet"},
            )

    return _check
