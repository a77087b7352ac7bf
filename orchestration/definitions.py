"""The one Definitions of the Reelhouse code location (`dagster dev -m orchestration.definitions`, the dagster-code
service, `reelhouse run` and the tests load it): each domain's assets, checks, jobs, schedules and sensors from
orchestration/defs/, the resources from orchestration/lib/resources.py.

The schedules' crons are read from the settings here, when the code location loads (a bad value stops it with one
line naming the variable); everything else a run needs is read by its resources when the run starts.
"""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs.ingestion.assets import app_tables, provider_prices, stripe_objects
from orchestration.defs.pipeline.jobs import full_rebuild, hourly_refresh
from orchestration.defs.pipeline.schedules import hourly_refresh_schedule
from orchestration.defs.pipeline.sensors import alert_data_team_on_final_failure
from orchestration.defs.publish.assets import published_marts, superset_dashboards
from orchestration.defs.quality.checks import gx_asset_checks, load_health_checks
from orchestration.defs.reporting.assets import weekly_report_email
from orchestration.defs.reporting.jobs import weekly_report
from orchestration.defs.reporting.schedules import weekly_report_schedule
from orchestration.defs.transform.assets import dbt_models
from orchestration.lib.resources import resources
from reelhouse.config import get_settings

INGESTION = [app_tables, stripe_objects, provider_prices]
ASSETS = [*INGESTION, dbt_models, published_marts, superset_dashboards, weekly_report_email]

settings = get_settings()

defs = Definitions(
    assets=ASSETS,
    asset_checks=[
        *gx_asset_checks({key for assets in ASSETS for key in assets.keys}),
        *load_health_checks({key for assets in (app_tables, stripe_objects) for key in assets.keys}),
    ],
    jobs=[hourly_refresh, full_rebuild, weekly_report],
    schedules=[hourly_refresh_schedule(settings.hourly_refresh_cron),
               weekly_report_schedule(settings.weekly_report_cron)],
    sensors=[alert_data_team_on_final_failure],
    resources=resources(),
)
