"""`reelhouse demo ...`: the demo world that stands in for production sources.

The only command module that imports demo/: the demo's own commands serve its Stripe account on the configured
STRIPE_API_BASE for a pipeline run, so `reelhouse run` itself reads Stripe wherever the settings say.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reelhouse.cli.pipeline import WAIT_OPTION, run_job
from reelhouse.config import DEFAULT_STRIPE_DEMO_KEY, Settings, get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import app_db_url, stripe_demo_db_url
from reelhouse.warehouse.bootstrap import initialise_warehouse

app = typer.Typer(invoke_without_command=True)
out = Console()


@contextmanager
def serving_demo_stripe(settings: Settings) -> Iterator[None]:
    """Serve the demo Stripe account on STRIPE_API_BASE while the block runs, when the settings point at the local
    demo API (the default) and nothing serves it yet; against any other Stripe this does nothing."""
    from demo.stripe_world.background import running_stripe_server
    from reelhouse.warehouse.embedded import port_in_use

    local_default = settings.stripe_api_base == f"http://127.0.0.1:{settings.stripe_server_port}"
    if not (local_default and settings.stripe_api_key == DEFAULT_STRIPE_DEMO_KEY) or port_in_use(
            settings.stripe_server_port):
        yield
        return
    with running_stripe_server(stripe_demo_db_url(settings), settings.stripe_api_key, settings.stripe_server_port):
        out.print(f"serving the demo Stripe account on {settings.stripe_api_base} for this run")
        yield


class Job(StrEnum):
    hourly = "hourly"
    full = "full"


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=out,
    )


@app.callback()
def main(
    ctx: typer.Context,
    users: int = typer.Option(2000, min=10, help="users in the generated world (first run only)"),
    days: int = typer.Option(120, min=14, help="days of history (first run only)"),
    seed: int = typer.Option(7, help="random seed: the same seed gives the same world"),
    superset: bool = typer.Option(True, "--superset/--no-superset",
                                  help="bring Superset up with every dashboard (skip for the pipeline only)"),
) -> None:
    """Run everything end to end on the embedded default: warehouse, demo world, pipeline, Superset."""
    if ctx.invoked_subcommand is not None:
        return
    from demo.app_world import world_exists

    settings = get_settings()
    initialise_warehouse(settings)
    out.print(f"[green]✓[/] warehouse ready ({'embedded' if settings.embedded else 'external'})")
    if world_exists(app_db_url(settings)):
        out.print("[green]✓[/] demo world already generated (reelhouse demo advance --hours 1 adds activity)")
    else:
        generate(users=users, days=days, seed=seed)
    with serving_demo_stripe(settings):
        if not run_job("hourly"):
            raise ReelhouseError("the pipeline failed: see the failed steps above (details in `reelhouse dev`)")
    out.print("[green]✓[/] ingested raw_app, raw_stripe and raw_costs, built the dbt marts and ran the checks")
    if superset:
        from reelhouse.cli.superset import bring_up

        out.print("bringing up Superset (first time: installs it in its own virtualenv, about 2 minutes)")
        bring_up()
    out.print("\nNext: [bold]reelhouse db url --role analyst[/] for SQL on the marts, [bold]reelhouse dev[/] for the "
              "Dagster UI, [bold]reelhouse demo advance --hours 1[/] then [bold]reelhouse demo run hourly[/] "
              "for an incremental run, [bold]reelhouse --help[/] for everything else.")


@app.command()
def generate(
    users: int = typer.Option(2000, min=10, help="number of app users"),
    days: int = typer.Option(120, min=14, help="days of history, ending a few hours before now"),
    seed: int = typer.Option(7, help="random seed: the same seed gives the same world"),
) -> None:
    """Write a deterministic app database and the matching Stripe account data."""
    from demo.app_world import generate_app_world
    from demo.stripe_world import sync_stripe_world

    settings = get_settings()
    initialise_warehouse(settings)
    with _progress() as progress:
        summary = generate_app_world(app_db_url(settings), users=users, days=days, seed=seed, progress=progress)
        stripe_summary = sync_stripe_world(app_db_url(settings), stripe_demo_db_url(settings), reset=True,
                                           progress=progress)
    out.print(f"[green]✓[/] app database: {summary}")
    out.print(f"[green]✓[/] Stripe account: {stripe_summary}")


@app.command()
def advance(hours: int = typer.Option(1, min=1, max=24 * 31, help="hours of new activity to append")) -> None:
    """Append and update the next H hours of activity, so an hourly run has a fresh delta; only hours that have
    passed (a world is generated a few hours behind the clock; going past the current hour is refused)."""
    from demo.app_world import advance_app_world
    from demo.stripe_world import sync_stripe_world

    settings = get_settings()
    with _progress() as progress:
        summary = advance_app_world(app_db_url(settings), hours=hours, progress=progress)
        stripe_summary = sync_stripe_world(app_db_url(settings), stripe_demo_db_url(settings), progress=progress)
    out.print(f"[green]✓[/] advanced {hours}h: {summary}; Stripe: {stripe_summary}")


@app.command("stripe-server")
def stripe_server(
    port: int = typer.Option(None, help="port (default STRIPE_SERVER_PORT or 12111)"),
) -> None:
    """Serve the demo Stripe account over a Stripe-compatible HTTP API on localhost."""
    from demo.stripe_world import serve_stripe

    settings = get_settings()
    chosen = port or settings.stripe_server_port
    out.print(f"Stripe-compatible API on http://127.0.0.1:{chosen} (key: STRIPE_API_KEY); Ctrl-C stops it")
    serve_stripe(stripe_demo_db_url(settings), api_key=settings.stripe_api_key, port=chosen)


@app.command("run")
def run(job: Job = typer.Argument(Job.hourly, help="hourly or full"), wait: bool = WAIT_OPTION) -> None:
    """Run the pipeline once (`reelhouse run hourly|full`) with the demo Stripe account served for the run."""
    settings = get_settings()
    with serving_demo_stripe(settings):
        if not run_job(job.value, wait):
            raise ReelhouseError(f"{'hourly_refresh' if job is Job.hourly else 'full_rebuild'} failed: see the failed "
                                 "steps above")
