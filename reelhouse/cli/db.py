"""`reelhouse db ...`: the warehouse server's lifecycle and bootstrap."""

from __future__ import annotations

import typer
from rich.console import Console

from reelhouse.config import get_settings, redact
from reelhouse.warehouse import admin_url, embedded_server, role_url
from reelhouse.warehouse.bootstrap import initialise_warehouse

app = typer.Typer(no_args_is_help=True)
out = Console()


@app.command()
def start() -> None:
    """Start the embedded PostgreSQL (it keeps running between commands)."""
    settings = get_settings()
    if not settings.embedded:
        out.print("WAREHOUSE_URL is set: the external server is used, nothing to start.")
        return
    status = embedded_server(settings).start()
    out.print(f"warehouse running: pid {status.pid}, 127.0.0.1:{status.port}, data in {settings.pgdata}")


@app.command()
def stop() -> None:
    """Stop the embedded PostgreSQL."""
    settings = get_settings()
    if settings.embedded:
        embedded_server(settings).stop()
    out.print("warehouse stopped" if settings.embedded else "WAREHOUSE_URL is set: nothing to stop.")


@app.command()
def status() -> None:
    """Say whether the warehouse is running and where."""
    settings = get_settings()
    if not settings.embedded:
        out.print(f"external warehouse: {redact(settings.warehouse_url or '')}")
        return
    current = embedded_server(settings).status()
    state = f"running (pid {current.pid})" if current.running else "stopped"
    out.print(f"embedded warehouse {state} on 127.0.0.1:{current.port}, data in {settings.pgdata}")


@app.command()
def url(
    role: str = typer.Option("admin", help="admin, loader, transformer or analyst"),
    show_password: bool = typer.Option(False, "--show-password", help="print the password too"),
) -> None:
    """Print the warehouse connection URL (for psql, Superset or a notebook)."""
    if role not in ("admin", "loader", "transformer", "analyst"):
        raise typer.BadParameter("role must be admin, loader, transformer or analyst")
    full = admin_url() if role == "admin" else role_url(role)
    out.print(full.replace("+psycopg", "") if show_password else redact(full).replace("+psycopg", ""))


@app.command()
def init() -> None:
    """Create databases, schemas, roles and grants (idempotent)."""
    databases = initialise_warehouse()
    out.print(f"warehouse initialised: databases {', '.join(databases)}; roles loader, transformer, analyst")


@app.command("publish-marts")
def publish_marts_command(
    skip_checks: bool = typer.Option(False, "--skip-checks",
                                     help="publish without running the blocking Great Expectations suites first"),
) -> None:
    """Make the marts dbt built in marts_next (`reelhouse dbt build`) the ones analysts and Superset read.

    The hourly pipeline does this itself once every check passed; by hand, the blocking mart suites run
    first and a failure publishes nothing. The incremental marts' live views move to the published build and the
    versions they no longer show are deleted, as the pipeline's publish step does (the same function).
    """
    from expectations.runner import run_suite
    from expectations.suite import load_suites
    from orchestration.lib.dbt_project import published_relations
    from reelhouse.errors import ReelhouseError
    from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA, publish_marts

    transformer = role_url("transformer")
    if not skip_checks:
        failed = []
        for suite in (s for s in load_suites().values() if s.schema == LIVE_SCHEMA):
            result = run_suite(suite, transformer, "reelhouse db publish-marts", schema=BUILD_SCHEMA)
            failed += [f"{suite.name}: {outcome.spec.label}" for outcome in result.blocking_failures]
            out.print(f"checked {BUILD_SCHEMA}.{suite.table}: "
                      f"{'ok' if not result.blocking_failures else 'FAILED'}", highlight=False)
        if failed:
            raise ReelhouseError(f"nothing published, blocking checks failed: {'; '.join(failed)}")
    publication = publish_marts(transformer,
                                progress=lambda line: out.print(line, highlight=False),
                                built_by_models=published_relations())
    out.print(f"published {publication.relations} marts into {LIVE_SCHEMA} "
              f"(the previous {publication.previous_relations} are now in {BUILD_SCHEMA})")
