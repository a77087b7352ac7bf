"""Stripe through the official SDK into raw_stripe: new objects by `created`, changes by Events.

Each resource is listed with `created[gte]` = its cursor (Stripe's `created` has one-second
resolution, so the cursor's own second is read again and merged away). Changes to mutable objects
(subscription status, paid or voided invoices, refunds) arrive through `/v1/events`: every event's
`data.object` is that object's version at the event's time, and the newest version per id wins.
A resource's rows and its cursor commit in one transaction; a failure leaves the cursor untouched.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import stripe

from ingestion.common.ops import (
    TableLoadResult,
    ensure_ops_tables,
    new_load_id,
    read_cursor,
    refresh_statistics,
    write_audit,
    write_cursor,
)
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

log = logging.getLogger(__name__)

SOURCE = "stripe"
RESOURCES = ("customers", "products", "prices", "subscriptions", "invoices", "charges", "refunds", "disputes",
             "balance_transactions")
TABLE_OF_OBJECT = {
    "customer": "customers", "product": "products", "price": "prices", "subscription": "subscriptions",
    "invoice": "invoices", "charge": "charges", "refund": "refunds", "dispute": "disputes",
    "balance_transaction": "balance_transactions",
}
AMOUNT_FIELD = {"charges": "amount", "refunds": "amount", "disputes": "amount", "invoices": "total",
                "balance_transactions": "amount", "prices": "unit_amount"}
LIST_PARAMS = {"subscriptions": {"status": "all"}}
OBJECT_DDL = """
CREATE TABLE IF NOT EXISTS raw_stripe.{table} (
    id text PRIMARY KEY,
    created timestamptz NOT NULL,
    status text,
    customer text,
    amount bigint,
    currency text,
    livemode boolean,
    data jsonb NOT NULL,
    _stripe_updated_at timestamptz NOT NULL,
    _loaded_at timestamptz NOT NULL
)
"""
EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS raw_stripe.events (
    id text PRIMARY KEY,
    created timestamptz NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    _loaded_at timestamptz NOT NULL
)
"""


class StripeLoadError(ReelhouseError):
    """Stripe kept failing after retries; the message is safe to show (no key)."""


class StripeKeyRejected(StripeLoadError):
    """The key is wrong or revoked: every further request would fail the same way."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout_seconds: float = 30.0  # per HTTP request; a hung connection is a network error, retried like one


def _safe(message: str, api_key: str) -> str:
    return message.replace(api_key, "sk_****") if api_key else message


def call_with_retries(fetch: Callable[[], Any], policy: RetryPolicy, api_key: str) -> Any:
    """Ride out 429 storms (honouring Retry-After), 5xx and network errors with exponential backoff.

    The SDK retries 5xx and connection errors itself but never a 429, and ignores Retry-After.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return fetch()
        except (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError) as exc:
            if attempt == policy.attempts:
                status = getattr(exc, "http_status", None)
                raise StripeLoadError(_safe(
                    f"Stripe still failing after {attempt} attempts (HTTP {status or 'network error'}): "
                    f"{exc.user_message or type(exc).__name__}", api_key)) from None
            retry_after = (getattr(exc, "headers", None) or {}).get("retry-after")
            delay = float(retry_after) if retry_after else min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
            log.info("Stripe %s, retrying in %.1fs (attempt %d)", type(exc).__name__, delay, attempt)
            time.sleep(delay)
        except stripe.AuthenticationError as exc:
            raise StripeKeyRejected(_safe(f"Stripe rejected the API key: {exc.user_message}", api_key)) from None
        except stripe.StripeError as exc:
            raise StripeLoadError(_safe(f"Stripe error: {exc.user_message or exc}", api_key)) from None
    raise AssertionError("unreachable")


def _not_after_now(created: int) -> int:
    """A cursor never moves past our present: one object stamped in the future (clock skew) would
    otherwise hide every object created until then. Re-reading up to it again is a no-op merge."""
    return min(created, int(time.time()))


def _pages(list_call: Callable[[dict], Any], params: dict, policy: RetryPolicy, api_key: str) -> Iterator[list]:
    """Every page of a list, limit=100, each page request retried on its own."""
    starting_after = None
    while True:
        page_params = {**params, "limit": 100, **({"starting_after": starting_after} if starting_after else {})}
        page = call_with_retries(lambda p=page_params: list_call(p), policy, api_key)
        items = [item.to_dict() for item in page.data]
        if items:
            yield items
        if not page.has_more or not items:
            return
        starting_after = items[-1]["id"]


def _row(table: str, obj: dict, version_at: datetime) -> tuple:
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    amount = obj.get(AMOUNT_FIELD.get(table, ""), None)
    return (obj["id"], datetime.fromtimestamp(obj["created"], UTC), obj.get("status"), customer,
            amount if isinstance(amount, int) else None, obj.get("currency"), obj.get("livemode"),
            json.dumps(obj), version_at)


def _merge(conn: psycopg.Connection, table: str, rows: list[tuple]) -> tuple[int, int]:
    """Upsert versions: only a strictly newer version replaces a row. Returns (inserted, updated).

    Listed objects are versioned at `created`, so an event from that same second (a snapshot taken
    at creation) cannot overwrite the current state the list returned.
    """
    # One staging table per raw table for the whole session, emptied for each page: a resource or the events pass
    # merges thousands of pages in one transaction, and a table created and dropped per page kept a lock each until
    # commit ("out of shared memory", max_locks_per_transaction, at 120k events).
    stage = f"_stripe_stage_{table}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE raw_stripe.{table})")
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} (id, created, status, customer, amount, currency, livemode, data,"  # noqa: S608
                      " _stripe_updated_at, _loaded_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, "now"))
        cur.execute(
            f"INSERT INTO raw_stripe.{table} AS t SELECT DISTINCT ON (id) * FROM {stage} "  # noqa: S608
            "ORDER BY id, _stripe_updated_at DESC ON CONFLICT (id) DO UPDATE SET created = excluded.created, "
            "status = excluded.status, customer = excluded.customer, amount = excluded.amount, "
            "currency = excluded.currency, livemode = excluded.livemode, data = excluded.data, "
            "_stripe_updated_at = excluded._stripe_updated_at, _loaded_at = excluded._loaded_at "
            "WHERE excluded._stripe_updated_at > t._stripe_updated_at "
            "RETURNING (xmax = 0)"
        )
        flags = [r[0] for r in cur.fetchall()]
    return sum(flags), len(flags) - sum(flags)


class StripeLoader:
    def __init__(self, client: stripe.StripeClient, conn: psycopg.Connection, api_key: str, policy: RetryPolicy,
                 load_id: str) -> None:
        self.client = client
        self.conn = conn
        self.api_key = api_key
        self.policy = policy
        self.load_id = load_id

    def load_resource(self, resource: str, full_resync: bool) -> TableLoadResult:
        result = TableLoadResult(SOURCE, resource)
        cursor = None if full_resync else read_cursor(self.conn, SOURCE, resource)
        result.cursor_before = cursor
        params = dict(LIST_PARAMS.get(resource, {}))
        if cursor:
            params["created"] = {"gte": cursor["created"]}
        service = getattr(self.client.v1, resource)
        newest = cursor["created"] if cursor else 0
        with self.conn.transaction():
            for items in _pages(lambda p: service.list(params=p), params, self.policy, self.api_key):
                # A listed object is versioned at its `created`: any event about it is newer and wins,
                # and the events pass of the same run brings each object to its latest state.
                rows = [_row(resource, o, datetime.fromtimestamp(o["created"], UTC)) for o in items]
                inserted, updated = _merge(self.conn, resource, rows)
                result.inserted += inserted
                result.updated += updated
                newest = max(newest, *(o["created"] for o in items))
            result.cursor_after = {"created": _not_after_now(newest)}
            write_cursor(self.conn, SOURCE, resource, result.cursor_after)
        return result

    def load_events(self, full_resync: bool) -> TableLoadResult:
        """Store new events and apply each one's object version to its table."""
        result = TableLoadResult(SOURCE, "events")
        cursor = None if full_resync else read_cursor(self.conn, SOURCE, "events")
        result.cursor_before = cursor
        params = {"created": {"gte": cursor["created"]}} if cursor else {}
        newest = cursor["created"] if cursor else 0
        with self.conn.transaction():
            for events in _pages(lambda p: self.client.v1.events.list(params=p), params, self.policy, self.api_key):
                with self.conn.cursor() as cur:
                    cur.execute("CREATE TEMP TABLE IF NOT EXISTS _event_stage (LIKE raw_stripe.events)")
                    cur.execute("TRUNCATE _event_stage")
                    with cur.copy("COPY _event_stage (id, created, type, data, _loaded_at) FROM STDIN") as copy:
                        for e in events:
                            copy.write_row((e["id"], datetime.fromtimestamp(e["created"], UTC), e["type"],
                                            json.dumps(e), "now"))
                    cur.execute("INSERT INTO raw_stripe.events SELECT * FROM _event_stage ON CONFLICT (id) DO NOTHING")
                    result.inserted += max(cur.rowcount, 0)
                by_table: dict[str, list[tuple]] = {}
                for event in events:
                    obj = event["data"]["object"]
                    table = TABLE_OF_OBJECT.get(obj.get("object", ""))
                    if table:
                        version = datetime.fromtimestamp(event["created"], UTC)
                        by_table.setdefault(table, []).append(_row(table, obj, version))
                for table, rows in by_table.items():
                    _, updated = _merge(self.conn, table, rows)
                    result.updated += updated
                newest = max(newest, *(e["created"] for e in events))
            result.cursor_after = {"created": _not_after_now(newest)}
            write_cursor(self.conn, SOURCE, "events", result.cursor_after)
        return result


def load_stripe(
    api_key: str,
    api_base: str,
    warehouse_url: str,
    *,
    resources: list[str] | None = None,
    full_resync: bool = False,
    policy: RetryPolicy | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> list[TableLoadResult]:
    """Load the resources, then the events; a failing resource is reported and the rest still load."""
    policy = policy or RetryPolicy()
    client = stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=2,
                                 http_client=stripe.RequestsClient(timeout=policy.timeout_seconds))
    unknown = sorted(set(resources or []) - set(RESOURCES) - {"events"})
    if unknown:
        raise StripeLoadError(f"unknown Stripe resource(s): {', '.join(unknown)}; known: {', '.join(RESOURCES)}")
    load_id = new_load_id()
    results = []
    with connect(warehouse_url) as conn:
        ensure_ops_tables(conn)
        for table in RESOURCES:
            conn.execute(OBJECT_DDL.format(table=table))
        conn.execute(EVENTS_DDL)
        conn.commit()
        loader = StripeLoader(client, conn, api_key, policy, load_id)
        order = list(resources or RESOURCES)
        if "events" not in order:
            order.append("events")  # changes to mutable objects always follow the resources
        rejected = False
        for resource in order:
            if rejected:  # no request can succeed with this key: record the rest as failed, ask no more
                result = TableLoadResult(SOURCE, resource, status="failed", error=results[-1].error)
                write_audit(conn, load_id, result)
                conn.commit()
                results.append(result)
                continue
            try:
                result = loader.load_events(full_resync) if resource == "events" else \
                    loader.load_resource(resource, full_resync)
            except StripeLoadError as exc:
                result = TableLoadResult(SOURCE, resource, status="failed", error=str(exc),
                                         cursor_before=read_cursor(conn, SOURCE, resource))
                result.cursor_after = result.cursor_before
                log.warning("Stripe %s failed: %s", resource, exc)
                rejected = isinstance(exc, StripeKeyRejected)
            result.finished_at = datetime.now(UTC)
            write_audit(conn, load_id, result)
            conn.commit()
            if refresh_statistics(conn, "raw_stripe", resource, result):
                conn.commit()
            results.append(result)
            if on_progress:
                on_progress(resource)
    return results
