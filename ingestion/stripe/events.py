"""What an event changes in raw_stripe: the one rule the events pass and the webhook receiver share.

An event's `data.object` is the object as of the event, rendered in the API version the event was created
in (the account's default then, or the webhook endpoint's), not necessarily ours. It is merged, versioned at
the event's `created`, only when both hold:

- the event is in the pinned version (`STRIPE_API_VERSION`): an older-shaped object must never overwrite a
  row in our shape nor feed staging fields it lacks;
- it is the only event about that object in its second: `created` has one-second resolution, so two
  changes in one second cannot be ordered (first arrival or the higher event id would win, and the later
  change could be lost for good).

Otherwise the object is retrieved again (`GET /v1/<resource>/<id>`, in the pinned version) and stamped with
the time of that request on Stripe's clock (`Stripe.clock`): the current state, which includes every change the
events describe. An object raw already holds in a state fetched after the events' second is not asked again. An object
Stripe answers as deleted (`deleted: true` or 404) gets `_deleted_at`; so does the object of a
`<object>.deleted` event (`customer.deleted` carries the whole customer). Events whose object has no id
(`invoice.upcoming`: a preview, not a stored object) are kept in raw_stripe.events and change nothing.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from ingestion.stripe.client import Stripe
from ingestion.stripe.raw import TABLE_OF_OBJECT, Written, mark_deleted, merge, row, timestamp
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
    return (event.get("api_version") == STRIPE_API_VERSION and (obj["id"], event["created"]) not in ties
            and isinstance(obj.get("created"), int) and obj.get("deleted") is not True)


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
                deleted = at if event.get("type") == f"{obj['object']}.deleted" else None
                direct.setdefault(table, []).append(row(table, obj, at, deleted))
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
        current = stripe.retrieve(table, object_id)
        if current is None:
            gone.setdefault(at, {}).setdefault(table, []).append(object_id)
        else:
            again.setdefault(table, []).append(row(table, current, at))
    written = Written()
    for rows_by_table in (direct, again):
        for table, rows in rows_by_table.items():
            written.add(merge(conn, table, rows))
    for asked_at, by_table in gone.items():
        for table, ids in by_table.items():
            written.deleted += mark_deleted(conn, table, ids, asked_at)
    return written
