"""Every Great Expectations suite in expectations/suites runs as an asset check on its table's asset.

A failed blocking expectation is an ERROR-severity failure of a blocking check, so Dagster does not
materialize anything downstream in that run; failed warnings are WARN and block nothing.
"""


from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from expectations.runner import run_suite
from expectations.suite import Suite, load_suites
from reelhouse.warehouse import role_url


def _check_for(suite: Suite):
    blocking = any(spec.blocking for spec in suite.expectations)

    @asset_check(
        asset=AssetKey([suite.schema, suite.table]),
        name=f"gx_{suite.table}",
        description=f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations)",
        blocking=blocking,
    )
    def _gx_check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        result = run_suite(suite, role_url("transformer"), context.run.run_id)
        failures = result.blocking_failures or result.warnings
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR if result.blocking_failures else AssetCheckSeverity.WARN,
            metadata={
                "expectations": len(result.outcomes),
                "failed": MetadataValue.json(
                    [{"expectation": o.spec.label, "observed": str(o.observed_value),
                      "unexpected_count": o.unexpected_count, "blocking": o.spec.blocking} for o in failures]
                ),
                "data_docs": MetadataValue.url(result.data_docs_url or ""),
            },
        )

    return _gx_check


def gx_asset_checks(asset_keys: set[AssetKey]) -> list:
    """Checks for the suites whose table is one of our assets (a suite for an unknown table is an error)."""
    suites = load_suites()
    unknown = sorted(s.name for s in suites.values() if AssetKey([s.schema, s.table]) not in asset_keys)
    if unknown:
        raise ValueError(f"suites for tables no asset produces: {', '.join(unknown)}")
    return [_check_for(suite) for suite in suites.values()]
