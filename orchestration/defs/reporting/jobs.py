"""The weekly report job: the email asset alone (the marts it reads are the hourly pipeline's)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from orchestration.defs.reporting.assets import WEEKLY_REPORT
from orchestration.lib.retries import run_retry_tags

weekly_report = define_asset_job(
    name="weekly_report",
    selection=AssetSelection.assets(WEEKLY_REPORT),
    description="The weekly report email, once per recipient per week.",
    tags=run_retry_tags(),
)
