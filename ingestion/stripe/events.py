"""What an event changes in raw_stripe: the one rule the events pass and the webhook receiver share.

An event's `data.object` is the object as of the event, rendered in the API version the event was created
in (the account's default then, or the webhook endpoint's), not necessarily ours. It is merged, versioned at
the event's `created`, only when both hold:

- the event is in the pinned version (`STRIPE_API_VERSION`): an older-shaped object must never overwrite a
  row in our shape nor feed staging fields it lacks;
- it is the only event about that object in its second: `created` has one-second resolution, so two
  changes in one second cannot be ordered (first arrival or the higher event id would win, and the later
  change could be lost for good);
- it is whole: an invoice whose `lines.has_more` says Stripe embedded only its first lines is not (its other
  lines as of the event are nowhere to be read).

Otherwise the object is retrieved again (`GET /v1/<resource>/<id>`, in the pinned version; an invoice with all
its lines, a subscription with its discounts expanded) and stamped with the time of that request on Stripe's clock
(`Stripe.clock`): the current state, which includes every change the events describe. An object raw already holds in
a state fetched after the events' second is not asked again. An object Stripe answers as deleted (`deleted: true` or
404) gets `_deleted_at`; so does the object of a `<object>.deleted` event (`customer.deleted` carries the whole
customer; a discount's is `customer.discount.deleted`). Stripe cannot retrieve a discount by id: its current state
is read from its owner, the subscription (with `expand[]=discounts`) or the customer (`customer.discount`), and a
discount its owner no longer has is deleted. Events whose object has no id (`invoice.upcoming`: a preview, not a
stored object) are kept in raw_stripe.events and change nothing.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from ingestion.stripe.client import Stripe
from ingestion.stripe.raw import (
    RETRIEVE_PARAMS,
    TABLE_OF_OBJECT,
    Written,
    created_of,
    deletes,
    land,
    mark_deleted,
    timestamp,
)
from ingestion.stripe.version import STRIPE_API_VERSION


def target(event: dict) -> tuple[str, str] | None:
    """(raw table, object id) an event is about, or None when it changes no raw table."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return None
    table = TABLE_OF_OBJECT.get(obj.get("object") or "")
    object_id = obj.get("id")
    return (table, object_id) if table and isinstance(object_id, str) and object_id else None


def _ties(conn: psycopg.Connection, ids: list[str]) -> set[tuple[str, int]]:
    """(object id, second) for every second with more than one stored event about that object."""
    if not ids:
        return set()
    rows = conn.execute(
        "SELECT data #>> '{data,object,id}', extract(epoch FROM created)::bigint FROM raw_stripe.events"
        " WHERE data #>> '{data,object,id}' = ANY(%s) GROUP BY 1, 2 HAVING count(*) > 1", (ids,)).fetchall()
    return {(object_id, int(second)) for object_id, second in rows}


def _known_since(conn: psycopg.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """The `_stripe_updated_at` of the raw rows of these objects (those raw holds)."""
    by_table: dict[str, list[str]] = {}
    for table, object_id in keys:
        by_table.setdefault(table, []).append(object_id)
    known = {}
    for table, ids in by_table.items():
        for object_id, stamp in conn.execute(
                f"SELECT id, _stripe_updated_at FROM raw_stripe.{table} WHERE id = ANY(%s)", (ids,)):  # noqa: S608
            known[(table, object_id)] = stamp
    return known


def _mergeable(event: dict, ties: set[tuple[str, int]]) -> bool:
    obj = event["data"]["object"]
    lines = obj.get("lines") if obj.get("object") == "invoice" else None
    return (event.get("api_version") == STRIPE_API_VERSION and (obj["id"], event["created"]) not in ties
            and isinstance(created_of(obj), int) and obj.get("deleted") is not True
            and not (isinstance(lines, dict) and lines.get("has_more") is True))


def _id(value: object) -> str | None:
    return value.get("id") if isinstance(value, dict) else value if isinstance(value, str) else None


def current(stripe: Stripe, table: str, object_id: str, events: list[dict]) -> dict | None:
    """The object as Stripe holds it now, None when it is deleted. A discount (no `GET /v1/discounts/<id>`) is
    looked up on its owner: its subscription's expanded `discounts`, else its customer's `discount`; one that owner
    no longer has is gone. A discount with neither owner (a Checkout session's) can only be known from its events:
    the last one seen is kept, or gone if one of them deleted it."""
    if table != "discounts":
        return stripe.retrieve(table, object_id, RETRIEVE_PARAMS.get(table))
    last_seen = max(events, key=lambda event: event["created"])["data"]["object"]
    if (subscription := _id(last_seen.get("subscription"))) is not None:
        owner = stripe.retrieve("subscriptions", subscription, RETRIEVE_PARAMS["subscriptions"])
        held = (owner or {}).get("discounts") or []
    elif (customer := _id(last_seen.get("customer"))) is not None:
        owner = stripe.retrieve("customers", customer)
        held = [(owner or {}).get("discount")]
    else:
        return None if any(deletes(event, event["data"]["object"]) for event in events) else last_seen
    return next((d for d in held if isinstance(d, dict) and d.get("id") == object_id), None)


def apply_events(conn: psycopg.Connection, events: list[dict], stripe: Stripe) -> Written:
    """Apply newly stored events (already in raw_stripe.events) to the object tables; returns the rows written."""
    about: dict[tuple[str, str], list[dict]] = {}
    for event in events:
        if (key := target(event)) is not None:
            about.setdefault(key, []).append(event)
    ties = _ties(conn, sorted({object_id for _, object_id in about}))
    direct: dict[str, list[tuple]] = {}
    again: dict[str, list[tuple]] = {}
    gone: dict[datetime, dict[str, list[str]]] = {}
    unsure = []
    for (table, object_id), its_events in about.items():
        if all(_mergeable(event, ties) for event in its_events):
            for event in its_events:
                obj, at = event["data"]["object"], timestamp(event["created"])
                direct.setdefault(table, []).append((obj, at, at if deletes(event, obj) else None))
        else:
            unsure.append((table, object_id))
    known = _known_since(conn, unsure)
    asked_at: datetime | None = None
    for table, object_id in unsure:
        latest = timestamp(max(event["created"] for event in about[(table, object_id)]))
        if (stamp := known.get((table, object_id))) is not None and stamp > latest:
            continue  # raw holds a state fetched after the events' second: it already includes them
        asked_at = asked_at or stripe.clock()  # taken before the retrieves: their state is at least that new
        at = max(asked_at, latest)  # and it includes the events that made us ask
        now = current(stripe, table, object_id, about[(table, object_id)])
        if now is None:
            gone.setdefault(at, {}).setdefault(table, []).append(object_id)
        else:
            again.setdefault(table, []).append((now, at, None))
    written = Written()
    for versions_by_table in (direct, again):
        for table, versions in versions_by_table.items():
            written.add(land(conn, table, versions))
    for asked_at, by_table in gone.items():
        for table, ids in by_table.items():
            written.deleted += mark_deleted(conn, table, ids, asked_at)
    return written
