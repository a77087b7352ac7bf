"""When the pipeline runs: HOURLY_REFRESH_CRON (default at the top of every hour, UTC), read from the settings by
orchestration/definitions.py. The full rebuild has no schedule: it is started by hand, off-peak."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.defs.pipeline.jobs import hourly_refresh


def hourly_refresh_schedule(cron: str) -> ScheduleDefinition:
    return ScheduleDefinition(name="hourly_refresh_schedule", job=hourly_refresh, cron_schedule=cron,
                              execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING)
