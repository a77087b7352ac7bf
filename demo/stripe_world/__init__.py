"""The demo Stripe account (derived from the app database) and a local Stripe-compatible API server."""

from __future__ import annotations

from demo.stripe_world.derive import AppUser, BillingFact, build_account
from demo.stripe_world.store import ensure_schema, save
from reelhouse.warehouse import connect

__all__ = ["serve_stripe", "sync_stripe_world"]


def sync_stripe_world(app_url: str, store_url: str, *, reset: bool = False, progress=None) -> str:
    """Re-derive the account from the app's billing facts and store what is new or changed.

    Deterministic and idempotent: the same app data always gives the same objects and events, so a
    second sync after `demo advance` only writes what the new hours added. `reset` empties the account
    first (after `demo generate` made a new world).
    """
    task = progress.add_task("deriving the Stripe account", total=3) if progress else None
    with connect(app_url) as app:
        users = {
            row[0]: AppUser(*row)
            for row in app.execute("SELECT id, email, full_name, extract(epoch FROM deleted_at)::bigint FROM users")
        }
        facts = [
            BillingFact(*row)
            for row in app.execute(
                "SELECT id, user_id, type, plan, pack_id, amount_usd_cents, reference_transaction_id,"
                " extract(epoch FROM created_at)::bigint FROM credit_transactions"
                " WHERE type IN ('plan_allocation', 'purchase', 'refund') ORDER BY created_at, id"
            )
        ]
        now = app.execute(
            "SELECT coalesce(extract(epoch FROM max(created_at))::bigint, 0) FROM credit_transactions"
        ).fetchone()[0]
    if progress:
        progress.advance(task)
    objects, events = build_account(users, facts, now)
    if progress:
        progress.advance(task)
    with connect(store_url) as store:
        ensure_schema(store)
        if reset:
            store.execute("TRUNCATE stripe.objects, stripe.events")
        written, added = save(store, objects, events)
        store.commit()
    if progress:
        progress.advance(task)
    return f"{len(objects):,} objects ({written:,} new or changed), {added:,} new events"


def serve_stripe(store_url: str, *, api_key: str, port: int, host: str = "127.0.0.1") -> None:
    """Serve the account until interrupted (blocking)."""
    import uvicorn

    from demo.stripe_world.server import create_app
    from reelhouse.errors import ReelhouseError
    from reelhouse.warehouse.embedded import port_in_use

    if port_in_use(port):
        raise ReelhouseError(f"port {port} is already in use; set STRIPE_SERVER_PORT or pass --port")
    uvicorn.run(create_app(store_url, api_key), host=host, port=port, log_level="warning")
