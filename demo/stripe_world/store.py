"""Where the demo Stripe account lives: objects and events as JSONB in the `stripe_demo` database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg

SCHEMA_DDL = """
CREATE SCHEMA IF NOT EXISTS stripe;
CREATE TABLE IF NOT EXISTS stripe.objects (
    id          text PRIMARY KEY,
    object_type text NOT NULL,
    created     bigint NOT NULL,
    customer    text,
    status      text,
    data        jsonb NOT NULL
);
ALTER TABLE stripe.objects ADD COLUMN IF NOT EXISTS deleted boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS objects_list ON stripe.objects (object_type, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS objects_customer ON stripe.objects (object_type, customer, created DESC);
CREATE TABLE IF NOT EXISTS stripe.events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    created     bigint NOT NULL,
    data        jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS events_list ON stripe.events (created DESC, id DESC);
"""

# The URL path of each listable resource and the `object` value of its items.
RESOURCES = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "coupons": "coupon",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "invoice_payments": "invoice_payment",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "balance_transactions": "balance_transaction",
}


def ensure_schema(conn: psycopg.Connection) -> None:
    conn.execute(SCHEMA_DDL)


def save(
    conn: psycopg.Connection, objects: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]]
) -> tuple[int, int]:
    """Upsert objects (only rows whose data changed are rewritten) and add new events.

    An object carrying `"deleted": True` is stored as deleted (its other fields are its last state): the
    server no longer lists it and a retrieve answers Stripe's stub `{"id", "object", "deleted": true}`.
    Events are stored exactly as given (their `api_version` and `data.object` are served as they are).
    Returns (objects written, events added).
    """
    with conn.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE incoming_objects (LIKE stripe.objects) ON COMMIT DROP")
        cursor.execute("CREATE TEMP TABLE incoming_events (LIKE stripe.events) ON COMMIT DROP")
        columns = "id, object_type, created, customer, status, deleted, data"
        with cursor.copy(f"COPY incoming_objects ({columns}) FROM STDIN") as copy:
            for obj in objects:
                customer = obj.get("customer")
                if isinstance(customer, dict):
                    customer = customer["id"]
                deleted = obj.get("deleted") is True
                data = {key: value for key, value in obj.items() if key != "deleted"}
                created = obj["created"] if "created" in obj else obj["start"]  # a discount has only `start`
                copy.write_row((obj["id"], obj["object"], created, customer, obj.get("status"), deleted,
                                json.dumps(data, sort_keys=True)))
        with cursor.copy("COPY incoming_events (id, type, created, data) FROM STDIN") as copy:
            for event in events:
                copy.write_row((event["id"], event["type"], event["created"], json.dumps(event, sort_keys=True)))
        cursor.execute(
            "INSERT INTO stripe.objects (id, object_type, created, customer, status, data, deleted)"
            " SELECT id, object_type, created, customer, status, data, deleted FROM incoming_objects"
            " ON CONFLICT (id) DO UPDATE SET created = excluded.created, customer = excluded.customer,"
            " status = excluded.status, data = excluded.data, deleted = excluded.deleted"
            " WHERE (stripe.objects.data, stripe.objects.deleted) IS DISTINCT FROM (excluded.data, excluded.deleted)"
        )
        written = cursor.rowcount
        cursor.execute("INSERT INTO stripe.events SELECT * FROM incoming_events ON CONFLICT (id) DO NOTHING")
        added = cursor.rowcount
    return written, added
