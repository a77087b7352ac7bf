"""Stripe through the official SDK into raw_stripe: new objects by `created`, changes by Events.

Each resource is listed with `created[gte]` = its cursor (Stripe's `created` has one-second resolution, so the
cursor's own second is read again and merged away); a full resync lists everything. A listed object is stamped
with the time of the request (`_stripe_updated_at`: the state as of that request, on Stripe's clock, the newest
event's `created` then: see `Stripe.clock`), so a full resync replaces every stale row. It also reconciles
deletes: an id raw holds that the full listing no longer returns is retrieved, and one Stripe answers as deleted
(or 404) gets `_deleted_at`.

What is stored is Stripe's own objects, unexpanded, as events deliver them, with two completions a real account
needs (ingestion/stripe/raw.py, client.py):

- Discounts. Since 2025-09-30 a subscription's (invoice's, line's) `discounts` are ids of Discount objects, whose
  `source.coupon` names the coupon; Stripe has no `/v1/discounts`. Coupons are a resource of their own
  (`/v1/coupons` -> raw_stripe.coupons). Subscriptions are listed (and retrieved) with `expand[]=data.discounts`:
  the discount objects land in raw_stripe.discounts and the subscription is stored with their ids, exactly as a
  `customer.subscription.*` event carries it, so a row never depends on which path wrote it. Discounts also arrive
  as `customer.discount.created/updated/deleted` events (deleted -> `_deleted_at`), and a subscription version
  without a discount raw holds for it marks that discount deleted. Expanding in the listing costs no request (a
  discount per subscription at most a few hundred bytes more), where listing discounts some other way would cost one
  per subscription. Staging joins subscription -> discount -> coupon (stg_stripe__discounts, stg_stripe__coupons).
- Invoice lines. An invoice embeds only its first 10 lines (`lines.has_more`). Every invoice the loader writes has
  all of them: the rest come from `GET /v1/invoices/<id>/lines` and are appended to the stored `lines.data`
  (`has_more` false). Kept in the invoice's own row rather than a separate line table: one row is one consistent
  version of the invoice (the versioned merge, full-refresh replacement and delete reconciliation apply to its
  lines with it, and a line can never outlive or predate its invoice's version), the lines are the same
  InvoiceLineItem objects in the same order, and staging unnests them as it does for any invoice. An invoice event
  whose object says `has_more` is not merged: the invoice is retrieved, whole (ingestion/stripe/events.py).

Changes to existing objects (subscription status, paid or voided invoices, refunds, deleted customers) arrive
through `/v1/events`, always after the resources. Events are re-read from the cursor minus a lookback
(`EVENTS_LOOKBACK`), so an event Stripe lists late with an earlier `created` is still seen; each is applied
once (by event id). Which events are merged and which objects are retrieved again is ingestion/stripe/events.py.

The Events API keeps 30 days. When the events were last read longer ago than that (less a day's margin), a
change may never be seen: the run says so (a warning in the log and in each resource's ops.load_audit row, which
the data-health board shows) and resyncs every resource in full. The need is kept in each resource's cursor
until that resource's resync commits, so a resync that fails is done again by the next run.

A first load or a full resync (asked for, owed after an events gap, or left in progress by a killed or failed
run) lists each resource in parallel `created` slices, each with its own cursor, under one shared rate limit
(ingestion/stripe/slices.py): every page commits with its slice's cursor, and the resource's cursor moves, with
the delete reconciliation, only once every slice is done. An incremental listing (`created[gte]` = the cursor:
an hour's new objects) is one request at a time, its rows and its cursor in one transaction.

Any failure (Stripe, a warehouse error such as a permission refused on one raw table, a bug) fails that resource
alone: its open transaction rolls back, its cursor stays, a failed audit row says the cause (and, for a sliced
listing, what is kept for the next run to resume), and the other resources still load. Only a lost warehouse
connection ends the load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from ingestion.common.errors import first_line, warehouse_write_failure
from ingestion.common.ops import (
    TableLoadResult,
    ensure_ops_tables,
    new_load_id,
    read_cursor,
    record_load,
    write_cursor,
)
from ingestion.stripe.client import (
    RateLimiter,
    RetryPolicy,
    Stripe,
    StripeKeyRejected,
    StripeLoadError,
    call_with_retries,
    safe,
)
from ingestion.stripe.events import apply_events
from ingestion.stripe.raw import (
    AMOUNT_FIELD,
    EMBEDDED_TABLES,
    EVENTS_DDL,
    EXPANDED,
    LIST_PARAMS,
    OBJECT_DDL,
    RAW_SCHEMA,
    RESOURCES,
    RETRIEVE_PARAMS,
    TABLE_OF_OBJECT,
    Written,
    ensure_raw_tables,
    land,
    mark_deleted,
    merge,
    row,
    store_events,
)
from ingestion.stripe.slices import ListingProgress, SlicedListing, ensure_slice_tables, finish, read_plan
from reelhouse.warehouse import connect

__all__ = ["AMOUNT_FIELD", "EMBEDDED_TABLES", "EVENTS_DDL", "LIST_PARAMS", "OBJECT_DDL", "RESOURCES", "TABLE_OF_OBJECT",
           "ListingProgress", "RetryPolicy", "StripeLoadError", "call_with_retries", "load_stripe"]

log = logging.getLogger(__name__)

SOURCE = "stripe"
EVENTS_KEPT = timedelta(days=30)  # how far back Stripe's Events API lists
GAP_MARGIN = timedelta(days=1)  # resync before the oldest unread event could have aged out
EVENTS_LOOKBACK = timedelta(minutes=10)  # events re-read before the cursor, for events Stripe lists late
RESYNC = "resync"  # a resource cursor's key: why the next load of that resource must be a full resync


def _merge(conn: psycopg.Connection, table: str, rows: list[tuple]) -> tuple[int, int]:
    """(inserted, updated) of a merge; kept for callers of the loader's old helper."""
    written = merge(conn, table, rows)
    return written.inserted, written.updated


_row = row


def _not_after_now(created: int) -> int:
    """A cursor never moves past our present: one object stamped in the future (clock skew) would
    otherwise hide every object created until then. Re-reading up to it again is a no-op merge."""
    return min(created, int(time.time()))


class StripeLoader:
    def __init__(self, stripe: Stripe, conn: psycopg.Connection, load_id: str, *, warehouse_url: str = "",
                 listers: int = 1, on_listing: Callable[[ListingProgress], None] | None = None) -> None:
        self.stripe = stripe
        self.conn = conn
        self.load_id = load_id
        self.warehouse_url = warehouse_url  # the sliced listing's threads open their own connections
        self.listers = listers
        self.on_listing = on_listing
        # resource -> what its failed sliced listing committed for the next run to resume: a line, the rows
        self.kept: dict[str, tuple[str, Written]] = {}

    def load_resource(self, resource: str, full_resync: bool) -> TableLoadResult:
        result = TableLoadResult(SOURCE, resource)
        cursor = read_cursor(self.conn, SOURCE, resource)
        result.cursor_before = cursor
        result.warning = (cursor or {}).get(RESYNC)
        in_progress = bool(read_plan(self.conn, resource))  # a sliced listing a killed or failed run left
        if full_resync or cursor is None or result.warning is not None or in_progress:
            return self._load_in_slices(resource, result)
        params: dict[str, Any] = {**LIST_PARAMS.get(resource, {}), "created": {"gte": cursor["created"]}}
        newest = cursor.get("created", 0)
        with self.conn.transaction():
            ensure_raw_tables(self.conn, [resource, *([EXPANDED[resource][1]] if resource in EXPANDED else [])])
            asked_at = self.stripe.clock()
            for items in self.stripe.pages(resource, params):
                written = land(self.conn, resource, [(o, asked_at, None) for o in items])
                result.inserted += written.inserted
                result.updated += written.updated
                result.deleted += written.deleted
                newest = max(newest, *(o["created"] for o in items))
            result.cursor_after = {"created": _not_after_now(newest)}
            write_cursor(self.conn, SOURCE, resource, result.cursor_after)
        return result

    def _load_in_slices(self, resource: str, result: TableLoadResult) -> TableLoadResult:
        """The full listing in slices; then, in one transaction, the reconciliation, the cursor, the plan's end."""
        ensure_raw_tables(self.conn, [resource, *([EXPANDED[resource][1]] if resource in EXPANDED else [])])
        self.conn.commit()
        listing = SlicedListing(self.stripe, self.warehouse_url, resource, self.listers, self.on_listing)
        try:
            listing.run(self.conn)
        finally:
            result.inserted += listing.written.inserted
            result.updated += listing.written.updated
            result.deleted += listing.written.deleted
            if listing.listed or any(piece.done for piece in listing.slices):
                self.kept[resource] = (listing.kept(), listing.written)
        self.kept.pop(resource, None)
        with self.conn.transaction():
            self._reconcile(resource, result)
            result.cursor_after = {"created": _not_after_now(finish(self.conn, resource))}
            write_cursor(self.conn, SOURCE, resource, result.cursor_after)
        return result

    def _reconcile(self, resource: str, result: TableLoadResult) -> None:
        """Every live raw row the full listing did not return: retrieved; deleted or 404 -> `_deleted_at`."""
        missing = [r[0] for r in self.conn.execute(
            f"SELECT t.id FROM raw_stripe.{resource} t WHERE t._deleted_at IS NULL"  # noqa: S608
            " AND NOT EXISTS (SELECT FROM ops.stripe_listed l WHERE l.resource = %s AND l.id = t.id) ORDER BY t.id",
            (resource,))]
        asked_at = self.stripe.clock() if missing else None
        for object_id in missing:
            current = self.stripe.retrieve(resource, object_id, RETRIEVE_PARAMS.get(resource))
            if current is None:
                result.deleted += mark_deleted(self.conn, resource, [object_id], asked_at)
            else:
                written = land(self.conn, resource, [(current, asked_at, None)])
                result.inserted += written.inserted
                result.updated += written.updated
                result.deleted += written.deleted

    def load_events(self, full_resync: bool, gap: str | None) -> TableLoadResult:
        """Store new events and apply them (ingestion/stripe/events.py)."""
        result = TableLoadResult(SOURCE, "events", warning=gap)
        cursor = read_cursor(self.conn, SOURCE, "events")
        result.cursor_before = cursor
        params: dict[str, Any] = {}
        if cursor and not full_resync:
            params["created"] = {"gte": cursor["created"] - int(EVENTS_LOOKBACK.total_seconds())}
        newest = (cursor or {}).get("created", 0)
        read_at = int(time.time())
        with self.conn.transaction():
            ensure_raw_tables(self.conn, [*RESOURCES, *EMBEDDED_TABLES, "events"])
            for events in self.stripe.pages("events", params):
                new = store_events(self.conn, events)
                written = apply_events(self.conn, new, self.stripe)
                result.inserted += len(new) + written.inserted
                result.updated += written.updated
                result.deleted += written.deleted
                newest = max(newest, *(e["created"] for e in events))
            result.cursor_after = {"created": _not_after_now(newest), "read_at": read_at}
            write_cursor(self.conn, SOURCE, "events", result.cursor_after)
        return result


def events_gap(conn: psycopg.Connection, now: datetime | None = None) -> str | None:
    """Why changes may have been missed, when the events were last read too long ago to catch up; else None.

    The events were read up to the events cursor's `read_at` (`created`, the newest event seen, for a cursor
    written before `read_at` existed); with no events cursor at all, from the first successful Stripe load on.
    """
    now = now or datetime.now(UTC)
    limit = now - (EVENTS_KEPT - GAP_MARGIN)
    cursor = read_cursor(conn, SOURCE, "events")
    if cursor:
        last = datetime.fromtimestamp(cursor.get("read_at", cursor["created"]), UTC)
        days = (now - last).total_seconds() / 86_400
        since = f"the events were last read {days:.1f} days ago ({last:%Y-%m-%d %H:%M} UTC)"
    else:
        last = conn.execute("SELECT min(started_at) FROM ops.load_audit WHERE source = %s AND status = 'ok'",
                            (SOURCE,)).fetchone()[0]
        if last is None:
            return None
        since = f"no events pass has completed since the first Stripe load ({last:%Y-%m-%d %H:%M} UTC)"
    if last >= limit:
        return None
    return (f"Stripe events gap: {since}, and the Events API keeps only {EVENTS_KEPT.days} days, so changes may have"
            " been missed; every resource is resynced in full (stale rows replaced, deletes reconciled)")


def _require_resync(conn: psycopg.Connection, reason: str) -> None:
    """Mark every resource's cursor: its next load is a full resync, until one commits."""
    for resource in RESOURCES:
        cursor = read_cursor(conn, SOURCE, resource) or {"created": 0}
        write_cursor(conn, SOURCE, resource, {**cursor, RESYNC: reason})


def _failure(conn: psycopg.Connection, resource: str, exc: Exception, api_key: str,
             kept: tuple[str, Written] | None = None) -> TableLoadResult:
    """The failed result of a resource: its open transaction rolled back, its cursor untouched, the cause in one
    line; for a sliced listing, then what it committed for the next run (counted in the result's rows)."""
    if isinstance(exc, StripeLoadError):
        message = str(exc)
    elif isinstance(exc, psycopg.Error):
        table = "events" if resource == "events" else resource
        message = f"warehouse: {warehouse_write_failure(exc, RAW_SCHEMA, table)}"
    else:
        message = f"{type(exc).__name__}: {first_line(exc)}"
    message = safe(message + (f"; {kept[0]}" if kept else ""), api_key)
    conn.rollback()
    cursor = read_cursor(conn, SOURCE, resource)
    conn.rollback()
    result = TableLoadResult(SOURCE, resource, status="failed", error=message, cursor_before=cursor,
                             cursor_after=cursor)
    if kept:
        result.inserted, result.updated, result.deleted = kept[1].inserted, kept[1].updated, kept[1].deleted
    log.warning("Stripe %s failed: %s", resource, message)
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
    listers: int | None = None,
    requests_per_second: float | None = None,
    on_listing: Callable[[ListingProgress], None] | None = None,
) -> list[TableLoadResult]:
    """Load the resources (in RESOURCES order, whatever order they are named in), then the events; a failing
    resource is reported and the rest still load.

    `on_progress(resource)` is called as each resource (and the events) is done; `on_listing` as a sliced listing
    commits a page or finishes a slice (called from the listers' threads). `listers` and `requests_per_second`
    default to the STRIPE_LISTERS and STRIPE_REQUESTS_PER_SECOND settings.
    """
    policy = policy or RetryPolicy()
    if listers is None or requests_per_second is None:
        from reelhouse.config import get_settings

        settings = get_settings()
        listers = settings.stripe_listers if listers is None else listers
        requests_per_second = settings.stripe_requests_per_second if requests_per_second is None \
            else requests_per_second
    unknown = sorted(set(resources or []) - set(RESOURCES) - {"events"})
    if unknown:
        raise StripeLoadError(f"unknown Stripe resource(s): {', '.join(unknown)}; known: {', '.join(RESOURCES)}")
    wanted = set(resources or RESOURCES)
    order = [resource for resource in RESOURCES if resource in wanted] + ["events"]
    stripe = Stripe(api_key, api_base, policy, RateLimiter(requests_per_second))
    load_id = new_load_id()
    results: list[TableLoadResult] = []
    with connect(warehouse_url) as conn:
        ensure_ops_tables(conn)
        ensure_slice_tables(conn)
        conn.commit()
        try:  # every raw table exists from the first run on; a table that cannot be made fails its resource alone
            ensure_raw_tables(conn, [*RESOURCES, *EMBEDDED_TABLES, "events"])
            conn.commit()
        except psycopg.Error:
            if conn.broken:
                raise
            conn.rollback()
        gap = events_gap(conn)
        if gap:
            log.warning("%s", gap)
            _require_resync(conn, gap)
            conn.commit()
        loader = StripeLoader(stripe, conn, load_id, warehouse_url=warehouse_url, listers=listers,
                              on_listing=on_listing)
        rejected: str | None = None
        for resource in order:
            if rejected:  # no request can succeed with this key: record the rest as failed, ask no more
                result = TableLoadResult(SOURCE, resource, status="failed", error=rejected)
            else:
                try:
                    result = loader.load_events(full_resync, gap) if resource == "events" else \
                        loader.load_resource(resource, full_resync)
                except Exception as exc:  # noqa: BLE001 - every failure is that resource's, except a lost connection
                    if conn.broken:
                        raise
                    result = _failure(conn, resource, exc, api_key, loader.kept.pop(resource, None))
                    if isinstance(exc, StripeKeyRejected):
                        rejected = result.error
            if result.warning and result.ok and resource != "events":
                log.warning("Stripe %s resynced in full: %s", resource, result.warning)
            result.finished_at = datetime.now(UTC)
            record_load(conn, load_id, result, RAW_SCHEMA, log)
            results.append(result)
            if on_progress:
                on_progress(resource)
    return results
