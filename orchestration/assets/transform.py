"""dbt models, tests and sources as Dagster assets and asset checks (dbt tests become checks)."""


import os

from dagster import AssetExecutionContext, Config
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import dbt_project, prepare_manifest, translator
from reelhouse.warehouse import dbt_env


class DbtBuildConfig(Config):
    """`full_refresh` rebuilds incremental models from scratch (the full_rebuild job sets it)."""

    full_refresh: bool = False


@dbt_assets(manifest=prepare_manifest(), project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    """`dbt build` of the selected models: incremental models only process rows newer than their lookback."""
    os.environ.update(dbt_env())  # the dbt subprocess inherits the transformer connection
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    yield from dbt.cli(args, context=context).stream()
