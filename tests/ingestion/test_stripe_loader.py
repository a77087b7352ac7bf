"""Stripe ingestion through the SDK against the local Stripe-compatible server: exactly once, resilient, keyless."""

from __future__ import annotations

import pytest

from demo.app_world import advance_app_world, generate_app_world
from demo.stripe_world import sync_stripe_world
from demo.stripe_world.background import running_stripe_server
from ingestion.stripe import RetryPolicy, load_stripe
from reelhouse.warehouse import connect

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture()
def stripe_world(fresh_database, scratch_warehouse, demo_world):
    app, store = fresh_database("stripe_app"), fresh_database("stripe_store")
    generate_app_world(app, users=250, days=60, seed=5, as_of=demo_world["as_of"])
    sync_stripe_world(app, store, reset=True)
    with running_stripe_server(store) as server:
        yield {"app": app, "store": store, "server": server, **scratch_warehouse("stripe_warehouse")}


def store_counts(store: str) -> dict[str, int]:
    """Live objects (deleted ones are not listed any more) by type."""
    with connect(store) as conn:
        return dict(conn.execute("SELECT object_type, count(*) FROM stripe.objects WHERE NOT deleted GROUP BY 1"
                                 ).fetchall())


def raw_counts(owner: str) -> dict[str, int]:
    """Live raw rows (not marked `_deleted_at`) by object type."""
    tables = {"customer": "customers", "charge": "charges", "invoice": "invoices", "subscription": "subscriptions",
              "refund": "refunds", "price": "prices", "product": "products", "invoice_payment": "invoice_payments"}
    with connect(owner) as conn:
        return {obj: conn.execute(f"SELECT count(*) FROM raw_stripe.{table} WHERE _deleted_at IS NULL").fetchone()[0]
                for obj, table in tables.items()}


def load(world, **kwargs):
    server = world["server"]
    return load_stripe(server.api_key, server.base_url, world["loader"], policy=FAST, **kwargs)


def test_full_then_incremental_then_idempotent(stripe_world):
    first = load(stripe_world)
    assert all(r.ok for r in first), [r.error for r in first if not r.ok]
    expected = store_counts(stripe_world["store"])
    assert raw_counts(stripe_world["owner"]) == {k: expected.get(k, 0) for k in raw_counts(stripe_world["owner"])}
    advance_app_world(stripe_world["app"], hours=24 * 20)
    sync_stripe_world(stripe_world["app"], stripe_world["store"])
    second = {r.table: r for r in load(stripe_world)}
    expected = store_counts(stripe_world["store"])
    assert raw_counts(stripe_world["owner"]) == {k: expected.get(k, 0) for k in raw_counts(stripe_world["owner"])}
    assert second["charges"].inserted > 0 and second["events"].inserted > 0
    with connect(stripe_world["store"]) as store, connect(stripe_world["owner"]) as raw:
        truth = dict(store.execute("SELECT id, status FROM stripe.objects WHERE object_type = 'subscription'"))
        landed = dict(raw.execute("SELECT id, status FROM raw_stripe.subscriptions"))
    assert landed == truth and "canceled" in truth.values()
    third = load(stripe_world)
    assert sum(r.inserted + r.updated for r in third) == 0


def test_rate_limit_and_server_error_bursts_are_ridden_out(stripe_world):
    faults = stripe_world["server"].faults
    faults.rate_limited, faults.retry_after = 3, 0.05
    results = load(stripe_world, resources=["customers"])
    assert all(r.ok for r in results)
    faults.server_errors = 4
    results = load(stripe_world, resources=["charges"])
    assert all(r.ok for r in results)
    assert faults.rate_limited == 0 and faults.server_errors == 0


def test_persistent_failure_fails_that_resource_and_keeps_its_cursor(stripe_world):
    load(stripe_world, resources=["customers"])
    with connect(stripe_world["owner"]) as conn:
        before = conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'customers'").fetchone()[0]
    stripe_world["server"].faults.server_errors = 10_000
    results = {r.table: r for r in load(stripe_world, resources=["customers"])}
    stripe_world["server"].faults.server_errors = 0
    assert results["customers"].status == "failed"
    assert "still failing" in results["customers"].error
    with connect(stripe_world["owner"]) as conn:
        after = conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'customers'").fetchone()[0]
        audit = conn.execute("SELECT status, error FROM ops.load_audit WHERE table_name = 'customers' "
                             "ORDER BY id DESC LIMIT 1").fetchone()
    assert after == before and audit[0] == "failed"


def test_a_bad_key_is_a_clear_error_that_never_shows_the_key(stripe_world):
    secret = "sk_test_totallywrongkey_0000XYZW"
    results = load_stripe(secret, stripe_world["server"].base_url, stripe_world["loader"], policy=FAST)
    assert results and all(r.status == "failed" for r in results)
    assert "rejected the API key" in results[0].error
    with connect(stripe_world["owner"]) as conn:
        stored = " ".join(r[0] or "" for r in conn.execute("SELECT error FROM ops.load_audit"))
    assert secret not in stored and secret not in results[0].error



def test_thousands_of_pages_in_one_transaction_hold_a_bounded_number_of_locks(stripe_world):
    """A resource or the events pass merges every page in one transaction. At 120k events the merge's staging
    table, created and dropped per page, held a lock each until commit and PostgreSQL ran out of lock slots
    ("out of shared memory"); staging now reuses one table per raw table, so the locks stay flat."""
    from datetime import UTC, datetime

    from ingestion.stripe.loader import _merge, _row

    load(stripe_world)  # the raw tables exist
    now = datetime.now(UTC)
    with connect(stripe_world["loader"]) as conn:
        def locks() -> int:
            return conn.execute("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()").fetchone()[0]

        _merge(conn, "customers", [_row("customers", {"id": "cus_lock_probe_0", "created": 1}, now)])
        after_one = locks()
        for page in range(1, 300):
            _merge(conn, "customers", [_row("customers", {"id": f"cus_lock_probe_{page}", "created": 1}, now)])
        assert locks() <= after_one + 2, "each page's merge keeps locks until commit"
        conn.rollback()
