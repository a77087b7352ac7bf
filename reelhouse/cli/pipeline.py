"""`reelhouse run ...` and `reelhouse dev`: the Dagster pipeline from the command line and in the UI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table

from reelhouse.errors import ReelhouseError
from reelhouse.warehouse.bootstrap import initialise_warehouse

run_app = typer.Typer(no_args_is_help=True)
out = Console()

JOBS = {"hourly": "hourly_refresh", "full": "full_rebuild", "weekly": "weekly_report"}


def check_stripe_reachable() -> None:
    """A local STRIPE_API_BASE (the demo's Stripe-compatible API) with nothing listening fails the Stripe load only
    after its retry budget: say so at once. Production's https://api.stripe.com is not probed."""
    from reelhouse.config import get_settings
    from reelhouse.warehouse.embedded import port_in_use

    base = urlsplit(get_settings().stripe_api_base)
    if base.hostname in ("127.0.0.1", "localhost", "::1") and not port_in_use(base.port or 80):
        raise ReelhouseError(f"nothing answers at STRIPE_API_BASE {base.geturl()}: for the demo account run "
                             "`reelhouse demo run hourly` (it serves the account for the run) or keep "
                             "`reelhouse demo stripe-server` running; against Stripe set STRIPE_API_BASE=https://api.stripe.com")


WAIT_OPTION = typer.Option(True, "--wait/--no-wait",
                           help="if another pipeline run holds the warehouse: wait for it (default) or exit at once")


def run_job(name: str, wait: bool = True) -> bool:
    """Execute one job in this process on the local instance (the UI shows the run too), reading Stripe at
    STRIPE_API_BASE as configured (`reelhouse demo run` serves the demo account there first).

    The whole run holds the warehouse's pipeline lock (orchestration/lib/run_lock.py): a second run started
    meanwhile waits its turn, or with wait=False exits naming the run in progress.
    """
    from orchestration.lib.abandoned_runs import CLI_PROCESS_TAG, fail_abandoned_runs, this_process
    from orchestration.lib.instance import prepare_dagster_home
    from orchestration.lib.run_lock import PipelineBusy, pipeline_lock
    from reelhouse.warehouse import role_url

    initialise_warehouse()
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def(JOBS[name])
    label = f"reelhouse run {name} (pid {os.getpid()} on {socket.gethostname()})"

    def waiting(holder: str) -> None:
        out.print(f"another pipeline run is in progress ({holder}); waiting for it to finish before "
                  f"{job.name} starts (--no-wait exits instead)", highlight=False, soft_wrap=True)

    try:
        with pipeline_lock(role_url("loader"), label, wait=wait, on_wait=waiting):
            prepare_dagster_home()
            run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
            if name != "weekly":
                check_stripe_reachable()
            with DagsterInstance.get() as instance:
                for run_id in fail_abandoned_runs(instance):
                    out.print(f"marked run {run_id[:8]} failed: the `reelhouse run` executing it had died",
                              highlight=False)
                out.print(f"running [bold]{job.name}[/] ({len(job.asset_layer.executable_asset_keys)} assets) ...")
                result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False,
                                                tags={**job.tags, CLI_PROCESS_TAG: this_process()})
    except PipelineBusy as busy:
        raise ReelhouseError(f"{busy}; not starting {job.name} (without --no-wait it waits its turn)") from None
    table = Table("step", "status", title=f"{job.name} run {result.run_id[:8]}")
    for event in result.all_events:
        if event.is_step_success or event.is_step_failure or event.is_step_skipped:
            status = "ok" if event.is_step_success else ("FAILED" if event.is_step_failure else "skipped")
            table.add_row(event.step_key or "", status)
    out.print(table)
    return result.success


@run_app.command()
def hourly(wait: bool = WAIT_OPTION) -> None:
    """Run the hourly refresh once: ingest deltas, dbt build, checks, publish."""
    if not run_job("hourly", wait):
        raise ReelhouseError("hourly_refresh failed: see the failed steps above (details in `reelhouse dev`)")


@run_app.command()
def full(wait: bool = WAIT_OPTION) -> None:
    """Rebuild everything from scratch: full ingestion resync and dbt --full-refresh."""
    if not run_job("full", wait):
        raise ReelhouseError("full_rebuild failed: see the failed steps above")


def dev(port: int = typer.Option(3000, help="port of the Dagster UI")) -> None:
    """Start the Dagster UI and daemon (schedules and sensors running) on the embedded warehouse."""
    from orchestration.lib.instance import prepare_dagster_home

    initialise_warehouse()
    home = prepare_dagster_home()
    out.print(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={home}); Ctrl-C stops it")
    command = [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1",
               "-p", str(port)]
    try:
        subprocess.run(command, env={**os.environ, "DAGSTER_HOME": str(home)}, check=False)
    except KeyboardInterrupt:
        pass


def dbt(ctx: typer.Context) -> None:
    """Run any dbt command on the project as the transformer role, e.g. `reelhouse dbt build -s staging`."""
    from orchestration.lib.dbt_project import DBT_PROJECT_DIR
    from reelhouse.warehouse import dbt_env

    initialise_warehouse()
    executable = os.path.join(os.path.dirname(sys.executable), "dbt")
    command = [executable if os.path.exists(executable) else "dbt", *ctx.args]
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, env={**os.environ, **dbt_env()}, check=False)
    raise typer.Exit(done.returncode)
