"""The weekly report email as an asset: it reads the published marts, so it sits downstream of them in the lineage,
and each send is a materialization whose metadata says who got it.

A failed recipient fails the step after the others were sent; the step retries with backoff
(orchestration/lib/retries.py) and the send log (ops.report_sends) makes the retry send only to those still missing,
as it does a second run in the same week.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at definition time.
from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from orchestration.lib.audited_rows import PUBLISHED_MARTS
from orchestration.lib.resources import Warehouse, WeeklyReports
from orchestration.lib.retries import DELIVERY_RETRY
from semantic.report import Recipients, deliver_weekly_reports

WEEKLY_REPORT = AssetKey(["reports", "weekly_email"])


@asset(
    key=WEEKLY_REPORT,
    group_name="reporting",
    kinds={"email"},
    deps=[PUBLISHED_MARTS],
    retry_policy=DELIVERY_RETRY,
    description="The week's platform report to the admins and each creator's report to that creator's recipients, "
                "from the published marts (semantic/report), once per recipient per week.",
)
def weekly_report_email(context: AssetExecutionContext, warehouse: Warehouse,
                        weekly_reports: WeeklyReports) -> MaterializeResult:
    recipients = Recipients(tuple(weekly_reports.platform_recipients), weekly_reports.creators())
    summary = deliver_weekly_reports(warehouse.url("transformer"), weekly_reports.mail.smtp(),
                                     weekly_reports.superset_url, recipients, on_progress=context.log.info)
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
    return MaterializeResult(metadata=metadata)
