"""Helpers for the fault tests: the CLI in a subprocess, copies of the demo Stripe account, raw vs source."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from reelhouse.warehouse import connect

# The object types the loader lands (ingestion.stripe.raw.TABLE_OF_OBJECT); a store may hold others it does not load.
STRIPE_TABLES = {"customer": "customers", "product": "products", "price": "prices", "coupon": "coupons",
                 "subscription": "subscriptions", "discount": "discounts", "invoice": "invoices",
                 "invoice_payment": "invoice_payments", "charge": "charges", "refund": "refunds",
                 "dispute": "disputes", "balance_transaction": "balance_transactions"}


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`reelhouse ...` exactly as a person runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "reelhouse", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def copy_stripe_store(source_url: str, target_url: str) -> None:
    """The demo Stripe account's objects and events, copied into another (empty) store database."""
    from demo.stripe_world.store import ensure_schema

    with connect(source_url) as source, connect(target_url) as target:
        ensure_schema(target)
        for table in ("stripe.objects", "stripe.events"):
            with source.cursor().copy(f"COPY {table} TO STDOUT") as out, \
                    target.cursor().copy(f"COPY {table} FROM STDIN") as into:
                for block in out:
                    into.write(block)
        target.commit()


def store_ids(store_url: str) -> dict[str, set[str]]:
    """Every live (not deleted) object id in a Stripe store by raw table, plus the event ids under "events"."""
    with connect(store_url) as conn:
        ids: dict[str, set[str]] = {table: set() for table in STRIPE_TABLES.values()}
        for object_type, object_id in conn.execute("SELECT object_type, id FROM stripe.objects WHERE NOT deleted"):
            if object_type in STRIPE_TABLES:
                ids[STRIPE_TABLES[object_type]].add(object_id)
        ids["events"] = {row[0] for row in conn.execute("SELECT id FROM stripe.events")}
    return ids


def raw_stripe_ids(warehouse_url: str) -> dict[str, list[str]]:
    """Every live id in raw_stripe by table (rows Stripe deleted, `_deleted_at`, left out), as a list (so a
    duplicate would show)."""
    with connect(warehouse_url) as conn:
        return {table: [row[0] for row in conn.execute(
                    f"SELECT id FROM raw_stripe.{table}" + ("" if table == "events" else " WHERE _deleted_at IS NULL"))]
                for table in [*STRIPE_TABLES.values(), "events"]}


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")
