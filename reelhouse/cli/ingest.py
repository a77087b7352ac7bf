"""`reelhouse ingest`: the same extract-load code the Dagster assets run, from the command line."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingestion.common.ops import TableLoadResult
from reelhouse.config import get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import app_db_url, role_url
from reelhouse.warehouse.bootstrap import initialise_warehouse

out = Console()


class Source(StrEnum):
    app = "app"
    stripe = "stripe"
    costs = "costs"


def run_ingestion(sources: list[Source], full_refresh: bool = False, console: Console = out,
                  stripe_api_base: str | None = None) -> list[TableLoadResult]:
    """Load the sources with a progress bar per table; returns every table's result."""
    from ingestion.app_db import TableProgress, load_app_tables
    from ingestion.costs import load_costs
    from ingestion.stripe import RESOURCES, load_stripe

    settings = get_settings()
    initialise_warehouse(settings)
    loader_url = role_url("loader", settings)
    results: list[TableLoadResult] = []
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        if Source.costs in sources:
            task = progress.add_task("costs: prices.yml", total=1)
            results += load_costs(loader_url)
            progress.advance(task)
        if Source.app in sources:
            tasks: dict[str, int] = {}

            def on_table(update: TableProgress) -> None:
                if update.table not in tasks:
                    tasks[update.table] = progress.add_task(f"app: {update.table}", total=None)
                progress.update(tasks[update.table], completed=update.rows, total=update.rows if update.done else None)

            results += load_app_tables(app_db_url(settings), loader_url, full_refresh=full_refresh,
                                       reconcile=full_refresh, on_progress=on_table)
        if Source.stripe in sources:
            task = progress.add_task("stripe: resources and events", total=len(RESOURCES) + 1)
            results += load_stripe(settings.stripe_api_key, stripe_api_base or settings.stripe_api_base, loader_url,
                                   full_resync=full_refresh, on_progress=lambda _: progress.advance(task))
    return results


def print_results(results: list[TableLoadResult], console: Console = out) -> None:
    table = Table("source", "status", "inserted", "updated", "deleted", "quarantined", "seconds")
    table.columns[0].no_wrap = True
    for r in results:
        status = "[green]ok[/]" if r.ok else f"[red]failed[/]: {r.error}"
        table.add_row(f"{r.source}.{r.table}", status, f"{r.inserted:,}", f"{r.updated:,}", f"{r.deleted:,}",
                      f"[yellow]{r.quarantined:,}[/]" if r.quarantined else "0", f"{r.duration_seconds:.1f}")
    console.print(table)


def ingest(
    source: list[Source] = typer.Option(None, "--source", "-s", help="app, stripe or costs (repeatable; default all)"),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="reload everything, reconcile hard deletes"),
) -> None:
    """Load Stripe, the app database and provider prices into the warehouse (incremental)."""
    results = run_ingestion(source or list(Source), full_refresh)
    print_results(results)
    failed = [r for r in results if not r.ok]
    quarantined = sum(r.quarantined for r in results)
    if quarantined:
        out.print(f"[yellow]{quarantined:,} row(s) quarantined[/]: see ops.quarantine for reasons and payloads")
    if failed:
        first = failed[0]
        raise ReelhouseError(
            f"{len(failed)} table(s) failed to load; first: {first.source}.{first.table}: {first.error}"
        )
