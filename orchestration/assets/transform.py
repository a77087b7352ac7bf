"""dbt models, tests and sources as Dagster assets and asset checks (dbt tests become checks)."""


import os

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import after_dbt_run, dbt_project, prepare_manifest, translator
from orchestration.instance import FULL_REFRESH_TAG
from reelhouse.warehouse import dbt_env


@dbt_assets(manifest=prepare_manifest(), project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models with their data tests: incremental models only process rows newer
    than their lookback; a full_rebuild run (tagged reelhouse/full_refresh) rebuilds them from scratch.

    dbt's unit tests check model logic on fixed inputs, so they run in CI and development (`reelhouse dbt build`,
    the test suite), not every hour on the same inputs, as dbt's own guidance has it."""
    os.environ.update(dbt_env())  # the dbt subprocess inherits the transformer connection
    args = ["build", "--exclude-resource-type", "unit_test"]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")
    invocation = dbt.cli(args, context=context)
    try:
        yield from invocation.stream()
    finally:
        after_dbt_run(invocation.target_path)
