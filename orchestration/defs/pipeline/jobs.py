"""Jobs and their schedules. Tags carry the run-queue limit (one hourly refresh at a time) and retries; the
executor holds the warehouse's pipeline lock for the whole run (orchestration/lib/run_lock.py)."""

from __future__ import annotations

import os

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from orchestration.defs.pipeline.sensors import MAX_RUN_RETRIES
from orchestration.lib.instance import FULL_REFRESH_TAG, PIPELINE_TAG
from orchestration.lib.run_lock import pipeline_executor

PIPELINE = AssetSelection.all()

hourly_refresh = define_asset_job(
    name="hourly_refresh",
    selection=PIPELINE,
    description="Ingest deltas -> dbt build (incremental) -> data-quality checks -> publish (BI caches).",
    executor_def=pipeline_executor,
    tags={PIPELINE_TAG: "hourly_refresh", "dagster/max_retries": str(MAX_RUN_RETRIES),
          "dagster/retry_strategy": "FROM_FAILURE"},
)

full_rebuild = define_asset_job(
    name="full_rebuild",
    selection=PIPELINE,
    description="Everything from scratch: full resync of every source and dbt --full-refresh.",
    executor_def=pipeline_executor,
    tags={PIPELINE_TAG: "hourly_refresh", "dagster/max_retries": str(MAX_RUN_RETRIES), FULL_REFRESH_TAG: "true"},
)

hourly_schedule = ScheduleDefinition(
    name="hourly_refresh_schedule",
    job=hourly_refresh,
    cron_schedule=os.environ.get("HOURLY_REFRESH_CRON", "0 * * * *"),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
