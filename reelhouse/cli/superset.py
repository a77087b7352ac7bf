"""`reelhouse superset ...`: Apache Superset in its own virtualenv, with every dashboard provisioned from code."""

from __future__ import annotations

import typer
from rich.console import Console

from reelhouse.config import get_settings, stored_secret
from reelhouse.superset import service
from reelhouse.warehouse import libpq_dsn, role_url

app = typer.Typer(no_args_is_help=True)
out = Console()


def _say(message: str) -> None:
    out.print(f"  {message}")


@app.command()
def install() -> None:
    """Create Superset's own virtualenv (apache-superset 6.1.0 and what it needs); a no-op when present."""
    venv = service.install(say=_say)
    out.print(f"[green]✓[/] Superset {service.SUPERSET_VERSION} installed in {venv}")


def bring_up(provision: bool = True) -> None:
    """Install if needed, start, provision every dashboard and warm the caches; prints URL and logins."""
    from semantic.superset import admin_client, demo_creator_login, publish

    settings = get_settings()
    service.install(settings, say=_say)
    url = service.start(settings, say=_say)
    out.print(f"[green]✓[/] Superset running at {url} (log: {service.log_file(settings)})")
    if not provision:
        return
    analyst = libpq_dsn(role_url("analyst", settings))
    client = admin_client(settings)
    provisioned, warmed = publish(client, analyst)
    out.print(f"[green]✓[/] provisioned {provisioned.dashboards} dashboards, {provisioned.charts} charts and "
              f"{provisioned.datasets} datasets from semantic/; warmed {len(warmed.warmed)} chart caches")
    for item in provisioned.deleted:
        out.print(f"  removed (no longer in code): {item}")
    for name, error in warmed.failed.items():
        out.print(f"  [yellow]chart {name!r} could not be warmed:[/] {error}")
    out.print(f"  admin login: {settings.superset.admin_user} / "
              f"{service.admin_password(settings) if service.demo_mode(settings) else '(SUPERSET_ADMIN_PASSWORD)'}")
    if service.demo_mode(settings):
        creator = demo_creator_login(client, analyst, stored_secret(settings.home, "superset_demo_creator"))
        if creator:
            out.print(f"  creator login (sees only creator {creator[1]}'s rows): {creator[0]} / "
                      f"{stored_secret(settings.home, 'superset_demo_creator')}")
    out.print(f"  dashboards: {url}/dashboard/list/")


@app.command()
def up(provision: bool = typer.Option(
        True, "--provision/--no-provision", help="apply semantic/ (datasets, charts, dashboards, roles)")) -> None:
    """Start Superset on the warehouse (analyst role) and provision every dashboard from code."""
    bring_up(provision)


@app.command()
def down() -> None:
    """Stop Superset."""
    out.print("Superset stopped" if service.stop() else "Superset was not running")


@app.command()
def status() -> None:
    """Say whether Superset is installed and running."""
    settings = get_settings()
    pid = service.running_pid(settings)
    healthy = service.is_healthy(settings.superset.url)
    out.print(f"installed: {'yes' if service.is_installed(settings) else 'no'} ({settings.superset.venv})")
    out.print(f"running: {'yes, pid ' + str(pid) if pid else 'no'}; {settings.superset.url} "
              f"{'healthy' if healthy else 'not answering'}")


@app.command()
def apply() -> None:
    """Apply semantic/ to the running Superset and warm its caches (what the hourly pipeline does)."""
    from semantic.superset import admin_client, publish

    provisioned, warmed = publish(admin_client(), libpq_dsn(role_url("analyst")))
    out.print(f"[green]✓[/] {provisioned.dashboards} dashboards, {provisioned.charts} charts, "
              f"{provisioned.datasets} datasets; {len(warmed.warmed)} caches warmed, {len(warmed.failed)} failed")
    for item in provisioned.deleted + provisioned.renamed:
        out.print(f"  {item}")


@app.command("creator-login")
def creator_login(
    creator_id: int = typer.Argument(..., min=1, help="the creator's id (creator_id in the marts)"),
    email: str = typer.Option(..., help="the creator's email address"),
    username: str = typer.Option(None, help="login name (default creator<ID>)"),
) -> None:
    """Create or update a Superset login that sees only this creator's rows; prints a new password."""
    import secrets

    from semantic.superset import admin_client
    from semantic.superset.provision import ensure_creator_login, read_marts

    if "@" not in email:
        raise typer.BadParameter("email must be an email address")
    analyst = libpq_dsn(role_url("analyst"))
    password = secrets.token_urlsafe(12)
    name = username or f"creator{creator_id}"
    ensure_creator_login(admin_client(), read_marts(analyst), creator_id, name, password, email)
    out.print(f"[green]✓[/] {name} sees only creator {creator_id}'s rows; password (shown once): {password}")
