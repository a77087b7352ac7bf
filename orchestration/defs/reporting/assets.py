"""The weekly report job: every Monday 08:00 UTC (WEEKLY_REPORT_CRON), the email from semantic/report.

A failed recipient fails the step after the others were sent; the step retries with backoff and the send
log (ops.report_sends) makes the retry send only to those still missing.
"""

# No `from __future__ import annotations`: Dagster reads the op's context annotation at definition time.
import os

from dagster import (
    Backoff,
    DefaultScheduleStatus,
    Failure,
    MetadataValue,
    OpExecutionContext,
    RetryPolicy,
    ScheduleDefinition,
    job,
    op,
)

from reelhouse.config import get_settings
from semantic.report import send_weekly_reports


@op(retry_policy=RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL))
def send_weekly_report(context: OpExecutionContext) -> None:
    """Send the platform report to the admins and each creator's report to that creator's recipients."""
    summary = send_weekly_reports(get_settings(), on_progress=context.log.info)
    metadata = {
        "week_start": MetadataValue.text(str(summary.week_start)),
        "sent": MetadataValue.int(len(summary.sent)),
        "already_sent": MetadataValue.int(len(summary.skipped)),
        "failed": MetadataValue.json([{"report": r, "recipient": to, "error": e} for r, to, e in summary.failed]),
    }
    context.log.info(f"week of {summary.week_start}: {len(summary.sent)} sent, {len(summary.skipped)} already sent")
    if not summary.ok:
        raise Failure(description=f"{len(summary.failed)} report(s) not sent: {summary.failed[0][2]}",
                      metadata=metadata)


@job(name="weekly_report", description="The weekly report email, once per recipient per week.")
def weekly_report() -> None:
    send_weekly_report()


weekly_report_schedule = ScheduleDefinition(
    name="weekly_report_schedule",
    job=weekly_report,
    cron_schedule=os.environ.get("WEEKLY_REPORT_CRON", "0 8 * * 1"),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
