"""When the weekly report goes out: WEEKLY_REPORT_CRON (default Monday 08:00 UTC), read from the settings by
orchestration/definitions.py."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.defs.reporting.jobs import weekly_report


def weekly_report_schedule(cron: str) -> ScheduleDefinition:
    return ScheduleDefinition(name="weekly_report_schedule", job=weekly_report, cron_schedule=cron,
                              execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING)
