"""The `reelhouse` command: the front door for people. Each sub-command lives in its own module."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from reelhouse.cli import db, demo, ingest, pipeline, report, stripe, superset
from reelhouse.errors import ConfigError, ReelhouseError

console = Console(stderr=True, soft_wrap=True)

cli = typer.Typer(
    name="reelhouse",
    help="Reelhouse: the analytics warehouse and BI stack (Dagster, dbt, Great Expectations, Superset).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cli.add_typer(db.app, name="db", help="Start, stop and initialise the warehouse (embedded PostgreSQL by default).")
cli.add_typer(demo.app, name="demo", help="The demo world: run everything end to end, generate data, serve Stripe.")
cli.add_typer(pipeline.run_app, name="run", help="Run a pipeline job once from the command line, with progress.")
cli.add_typer(stripe.app, name="stripe", help="Stripe entry points: the webhook receiver.")
cli.add_typer(superset.app, name="superset", help="Apache Superset: install, start/stop, dashboards as code.")
cli.add_typer(report.app, name="report", help="The weekly report email: preview it or send it now.")
cli.command("ingest")(ingest.ingest)
cli.command("dev")(pipeline.dev)
cli.command("dbt", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(pipeline.dbt)


def app() -> None:
    """Console entry point: user mistakes print one clear line, never a traceback. Exit 2 for a setting that
    cannot work (like a bad option: nothing was tried), 1 for anything else that failed."""
    # Library warnings are reported by the commands themselves (tables, one-line errors).
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("psycopg").setLevel(logging.ERROR)  # psycopg sets its own WARNING level on import
    try:
        cli()
    except ReelhouseError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
