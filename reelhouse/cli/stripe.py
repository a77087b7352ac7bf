"""`reelhouse stripe ...`: Stripe-specific entry points."""

from __future__ import annotations

import typer
from rich.console import Console

from reelhouse.config import get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import role_url
from reelhouse.warehouse.bootstrap import initialise_warehouse
from reelhouse.warehouse.embedded import port_in_use

app = typer.Typer(no_args_is_help=True)
out = Console()


@app.command()
def webhooks(
    port: int = typer.Option(8787, help="port to listen on"),
    host: str = typer.Option("127.0.0.1", help="interface (put a TLS proxy in front in production)"),
) -> None:
    """Receive Stripe webhooks: verify the signature, store the event, update the object."""
    import uvicorn

    from ingestion.stripe.webhooks import create_webhook_app

    settings = get_settings()
    if not settings.stripe_webhook_secret:
        raise ReelhouseError("STRIPE_WEBHOOK_SECRET is not set: copy the endpoint's signing secret (whsec_...)")
    if port_in_use(port):
        raise ReelhouseError(f"port {port} is already in use; pass --port")
    initialise_warehouse(settings)
    out.print(f"Stripe webhooks on http://{host}:{port}/stripe/webhooks; Ctrl-C stops it")
    uvicorn.run(create_webhook_app(role_url("loader", settings), settings.stripe_webhook_secret), host=host,
                port=port, log_level="warning")
