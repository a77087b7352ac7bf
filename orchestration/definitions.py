"""The one Definitions of the Reelhouse code location (`dagster dev -m orchestration.definitions`)."""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs.ingestion.assets import app_tables, provider_prices, stripe_objects
from orchestration.defs.pipeline.jobs import full_rebuild, hourly_refresh, hourly_schedule
from orchestration.defs.pipeline.sensors import alert_data_team_on_final_failure
from orchestration.defs.publish.assets import published_marts, superset_dashboards
from orchestration.defs.quality.checks import gx_asset_checks, load_health_checks
from orchestration.defs.reporting.assets import weekly_report, weekly_report_schedule
from orchestration.defs.transform.assets import dbt_models
from orchestration.lib.resources import build_resources

ASSETS = [app_tables, stripe_objects, provider_prices, dbt_models, published_marts, superset_dashboards]

defs = Definitions(
    assets=ASSETS,
    asset_checks=[
        *gx_asset_checks({key for assets in ASSETS for key in assets.keys}),
        *load_health_checks({key for assets in (app_tables, stripe_objects) for key in assets.keys}),
    ],
    jobs=[hourly_refresh, full_rebuild, weekly_report],
    schedules=[hourly_schedule, weekly_report_schedule],
    sensors=[alert_data_team_on_final_failure],
    resources=build_resources(),
)
