"""dbt models, tests and sources as Dagster assets and asset checks (dbt tests become checks)."""


import os

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.lib.audited_rows import FINGERPRINT, LANDED_SINCE_ENV, audit_fingerprint, landed_since
from orchestration.lib.dbt_project import after_dbt_run, dbt_project, prepare_manifest, translator
from orchestration.lib.instance import FULL_REFRESH_TAG
from orchestration.lib.resources import Warehouse
from reelhouse.warehouse import dbt_env


@dbt_assets(manifest=prepare_manifest(), project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """`dbt build` of the selected models with their data tests: incremental models only process rows newer
    than their lookback; a full_rebuild run (tagged reelhouse/full_refresh) rebuilds them from scratch.

    dbt's unit tests check model logic on fixed inputs, so they run in CI and development (`reelhouse dbt build`,
    the test suite), not every hour on the same inputs, as dbt's own guidance has it."""
    # dbt_project/profiles.yml reads the connection from the environment the dbt subprocess inherits.
    os.environ.update(dbt_env(url=warehouse.url("transformer")))
    args = ["build", "--exclude-resource-type", "unit_test"]
    full_refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    if full_refresh:
        args.append("--full-refresh")
    # Row tests on staging views and incremental models read what was written since the last published build
    # (orchestration/lib/audited_rows.py).
    fingerprint = audit_fingerprint(prepare_manifest())  # the project as on disk now, which dbt is about to parse
    context.instance.add_run_tags(context.run.run_id, {FINGERPRINT: fingerprint})
    since = None if full_refresh else landed_since(context.instance, fingerprint)
    if since:
        os.environ[LANDED_SINCE_ENV] = since.isoformat()
        context.log.info(f"row tests on staging views read rows landed since {since.isoformat()} (less the lookback):"
                         " the last published build tested the rest")
    else:
        context.log.info("row tests read every row (a full rebuild, or no published build of this project to start"
                         " from)")
    try:
        invocation = dbt.cli(args, context=context)
        try:
            yield from invocation.stream()
        finally:
            after_dbt_run(invocation.target_path)
    finally:
        os.environ.pop(LANDED_SINCE_ENV, None)
