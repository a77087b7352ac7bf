"""`reelhouse ingest`: the same extract-load code the Dagster assets run, from the command line."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingestion.common.errors import resource_shortage
from ingestion.common.ops import TableLoadResult
from reelhouse.config import get_settings, redact
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import app_db_url, role_url
from reelhouse.warehouse.bootstrap import initialise_warehouse

out = Console()


class Source(StrEnum):
    app = "app"
    stripe = "stripe"
    costs = "costs"


SOURCE_NAMES = {Source.app: "app database", Source.stripe: "Stripe", Source.costs: "prices.yml"}
# The databases a source's load holds connections to, for a connection lost mid-load.
CONNECTED_TO = {Source.app: "the warehouse or the app database", Source.stripe: "the warehouse",
                Source.costs: "the warehouse"}


def _one_line(error: BaseException) -> str:
    """The first line of an error, any connection URL in it with the password masked."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return " ".join(redact(word) if "://" in word else word for word in text.split())


def _load_source(source: Source, load: Callable[[], list[TableLoadResult]]) -> list[TableLoadResult]:
    """One source's load; if it cannot run at all (its server unreachable, the warehouse gone mid-load), a
    failed result that names the source, so the other sources still load and the user gets one clear line."""
    try:
        return load()
    except psycopg.Error as error:  # its open transaction was rolled back
        if shortage := resource_shortage(error):  # out of disk space, memory, connections (SQLSTATE class 53)
            reason = (f"{SOURCE_NAMES[source]}: {CONNECTED_TO[source]} is {shortage[0]} ({shortage[1]}); "
                      "committed work and its cursors are kept, run again once the server has room")
        else:  # a connection broke mid-load
            reason = (f"{SOURCE_NAMES[source]}: lost the connection to {CONNECTED_TO[source]} "
                      f"({_one_line(error)}); committed work and its cursors are kept, run again to finish")
    except ReelhouseError as error:  # a bad price file, Stripe refusing, an unreachable server: one line
        reason = f"{SOURCE_NAMES[source]}: {_one_line(error)}"
    return [TableLoadResult(source.value, "*", status="failed", error=reason)]


def run_ingestion(sources: list[Source], full_refresh: bool = False, console: Console = out,
                  stripe_api_base: str | None = None) -> list[TableLoadResult]:
    """Load the sources with a progress bar per table; returns every table's result.

    A source that cannot load at all is one failed result; the other sources still load.
    """
    from ingestion.app_db import TableProgress, load_app_tables
    from ingestion.costs import load_costs
    from ingestion.stripe import RESOURCES, ListingProgress, load_stripe

    settings = get_settings()
    initialise_warehouse(settings)
    loader_url = role_url("loader", settings)
    results: list[TableLoadResult] = []
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        if Source.costs in sources:
            task = progress.add_task("costs: prices.yml", total=1)
            results += _load_source(Source.costs, lambda: load_costs(loader_url))
            progress.advance(task)
        if Source.app in sources:
            tasks: dict[str, int] = {}

            def on_table(update: TableProgress) -> None:
                if update.table not in tasks:
                    tasks[update.table] = progress.add_task(f"app: {update.table}", total=None)
                progress.update(tasks[update.table], completed=update.rows, total=update.rows if update.done else None)

            results += _load_source(Source.app, lambda: load_app_tables(
                app_db_url(settings), loader_url, full_refresh=full_refresh, reconcile=full_refresh,
                on_progress=on_table))
        if Source.stripe in sources:
            task = progress.add_task("stripe: resources and events", total=len(RESOURCES) + 1)
            listings: dict[str, int] = {}

            def on_listing(update: ListingProgress) -> None:  # a first load or full resync, in slices
                if update.resource not in listings:
                    listings[update.resource] = progress.add_task(f"stripe: {update.resource}", total=None)
                progress.update(listings[update.resource], completed=update.listed,
                                description=f"stripe: {update.resource}, slices {update.slices_done}/{update.slices}")

            results += _load_source(Source.stripe, lambda: load_stripe(
                settings.stripe_api_key, stripe_api_base or settings.stripe_api_base, loader_url,
                full_resync=full_refresh, on_progress=lambda _: progress.advance(task), on_listing=on_listing))
    return results


def print_results(results: list[TableLoadResult], console: Console = out) -> None:
    table = Table("source", "status", "inserted", "updated", "deleted", "quarantined", "seconds")
    table.columns[0].no_wrap = True
    for r in results:
        status = (f"[red]failed[/]: {r.error}" if not r.ok else f"[yellow]ok[/]: {r.warning}" if r.warning
                  else "[green]ok[/]")
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
        what = first.error if first.table == "*" else f"{first.source}.{first.table}: {first.error}"
        raise ReelhouseError(f"{len(failed)} load(s) failed; first: {what}")
