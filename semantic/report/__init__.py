"""The weekly report email: content from the marts, rendered to HTML + text with inline charts, sent once."""

from semantic.report.content import CreatorReport, PlatformReport, build_creator_report, build_platform_report
from semantic.report.delivery import Recipients, SendSummary, deliver_weekly_reports, send_weekly_reports
from semantic.report.render import render_creator, render_platform, standalone_html

__all__ = [
    "CreatorReport", "PlatformReport", "Recipients", "SendSummary", "build_creator_report", "build_platform_report",
    "deliver_weekly_reports", "render_creator", "render_platform", "send_weekly_reports", "standalone_html",
]
