"""`reelhouse report weekly`: preview or send the weekly report email now."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from reelhouse.config import get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect, role_url
from reelhouse.warehouse.bootstrap import initialise_warehouse

app = typer.Typer(no_args_is_help=True)
out = Console()


@app.command()
def weekly(
    preview: Path = typer.Option(None, help="write the report's HTML to this file instead of sending"),
    creator: int = typer.Option(None, min=1, help="with --preview: that creator's report instead of the platform's"),
    send: bool = typer.Option(False, "--send", help="send now to REPORT_RECIPIENTS and REPORT_CREATOR_RECIPIENTS"),
) -> None:
    """Render the week's report (--preview out.html) or send it to every configured recipient (--send)."""
    if (preview is None) == (not send):
        raise ReelhouseError("say either --preview FILE or --send")
    settings = get_settings()
    initialise_warehouse(settings)
    if preview is not None:
        from semantic.report import (
            build_creator_report,
            build_platform_report,
            render_creator,
            render_platform,
            standalone_html,
        )

        with connect(role_url("transformer", settings)) as conn:
            try:
                if creator is None:
                    message, _ = render_platform(build_platform_report(conn, settings.superset.url))
                else:
                    message, _ = render_creator(build_creator_report(conn, creator, settings.superset.url))
            except LookupError as error:
                raise ReelhouseError(str(error)) from None
        preview.write_text(standalone_html(message))
        out.print(f"[green]✓[/] wrote {preview}: {message['Subject']} (charts inlined for the browser; the email "
                  "carries them as CID attachments)")
        return
    from semantic.report import send_weekly_reports

    if not settings.report_recipients and not settings.creator_report_recipients:
        raise ReelhouseError("no recipients: set REPORT_RECIPIENTS and/or REPORT_CREATOR_RECIPIENTS")
    summary = send_weekly_reports(settings, on_progress=lambda line: out.print(f"  {line}"))
    out.print(f"week of {summary.week_start}: {len(summary.sent)} sent, {len(summary.skipped)} already sent, "
              f"{len(summary.failed)} failed")
    for report, recipient, error in summary.failed:
        out.print(f"[red]✗[/] {report} to {recipient}: {error}")
    if not summary.ok:
        raise ReelhouseError(f"{len(summary.failed)} report(s) could not be sent; run again to retry only those")
