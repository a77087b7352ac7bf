"""Sending the week's reports: each recipient exactly once per week, one failure never stops the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage

from reelhouse.config import Settings, SmtpSettings
from reelhouse.errors import ReelhouseError
from reelhouse.mail import send_message
from reelhouse.warehouse import connect, role_url
from semantic.report.content import build_creator_report, build_platform_report
from semantic.report.render import render_creator, render_platform


@dataclass
class SendSummary:
    week_start: date | None = None
    sent: list[tuple[str, str]] = field(default_factory=list)      # (report, recipient)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # already sent this week
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (report, recipient, error)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Recipients:
    """Who gets which report: the platform report, and each creator's report (creator id -> addresses)."""

    platform: tuple[str, ...] = ()
    creators: dict[int, tuple[str, ...]] = field(default_factory=dict)


def _planned(conn, recipients: Recipients, superset_url: str
             ) -> list[tuple[str, tuple[str, ...], Callable[[], EmailMessage]]]:
    """(report name, recipients, message factory) per report; a report is built once and rendered per recipient."""
    plans: list[tuple[str, tuple[str, ...], Callable[[], EmailMessage]]] = []
    if recipients.platform:
        platform = build_platform_report(conn, superset_url)
        plans.append(("platform", recipients.platform, lambda: render_platform(platform)[0]))
    for creator_id in sorted(recipients.creators):
        report = build_creator_report(conn, creator_id, superset_url)
        plans.append((f"creator:{creator_id}", recipients.creators[creator_id],
                      lambda report=report: render_creator(report)[0]))
    return plans


def send_weekly_reports(settings: Settings, on_progress: Callable[[str], None] | None = None) -> SendSummary:
    """Send every report the settings name for the current reporting week, skipping whoever already got it."""
    return deliver_weekly_reports(role_url("transformer", settings), settings.smtp, settings.superset.url,
                                  Recipients(settings.report_recipients, settings.creator_report_recipients),
                                  on_progress)


def deliver_weekly_reports(warehouse_url: str, smtp: SmtpSettings, superset_url: str, recipients: Recipients,
                           on_progress: Callable[[str], None] | None = None) -> SendSummary:
    """Send each report to its recipients for the current reporting week, skipping whoever already got it;
    `warehouse_url` reads the marts and writes the send log (ops.report_sends) as the transformer role."""
    summary = SendSummary()
    with connect(warehouse_url, autocommit=True) as conn:
        # Two runs at once (a retry racing a manual --send) take turns, so the second sees the first's log.
        conn.execute("SELECT pg_advisory_lock(hashtext('reelhouse.weekly_report'))")
        week_start = conn.execute("SELECT min(current_start) FROM marts.wow_deltas WHERE weeks = 1").fetchone()[0]
        if week_start is None:
            raise ReelhouseError("the marts are empty: run the pipeline (reelhouse run hourly) before the report")
        summary.week_start = week_start
        for report, addresses, make_message in _planned(conn, recipients, superset_url):
            for recipient in addresses:
                already = conn.execute(
                    "SELECT 1 FROM ops.report_sends WHERE report = %s AND week_start = %s AND recipient = %s"
                    " AND status = 'sent'", (report, week_start, recipient)).fetchone()
                if already:
                    summary.skipped.append((report, recipient))
                    continue
                message = make_message()
                message["To"] = recipient
                try:
                    send_message(message, smtp)
                except ReelhouseError as error:
                    summary.failed.append((report, recipient, str(error)))
                    conn.execute("INSERT INTO ops.report_sends (report, week_start, recipient, status, error)"
                                 " VALUES (%s, %s, %s, 'failed', %s)", (report, week_start, recipient, str(error)))
                    continue
                conn.execute("INSERT INTO ops.report_sends (report, week_start, recipient, status, message_id)"
                             " VALUES (%s, %s, %s, 'sent', %s)", (report, week_start, recipient, message["Message-ID"]))
                summary.sent.append((report, recipient))
                if on_progress:
                    on_progress(f"sent {report} to {recipient}")
        conn.execute("SELECT pg_advisory_unlock(hashtext('reelhouse.weekly_report'))")
    return summary
