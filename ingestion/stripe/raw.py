"""raw_stripe: one table per Stripe resource plus the events, and the versioned merge into them.

Each row carries `_stripe_updated_at`, the moment its state is known to be true: the request time (to Stripe's
one-second resolution) for an object listed or retrieved, the event's `created` for an object taken from an
event. A version replaces a row when it is as new or newer and differs; an equal object only moves the stamp
forward. `_deleted_at` is set when Stripe says the object was deleted (a `<object>.deleted` event, a retrieve
answering `deleted: true` or 404); the row and its last state stay.

Objects are stored in Stripe's unexpanded shape, as events deliver them: where a listing or retrieve asks Stripe to
expand ids into objects (`EXPANDED`: a subscription's `discounts`), the expanded objects land in their own table and
the object keeps their ids. Stripe has no `/v1/discounts`, so raw_stripe.discounts is filled that way (and by
`customer.discount.*` events); a subscription fetched without one of the discounts raw holds for it has lost it
(`retire_discounts`). A discount has no `created`: its `start` (when it was applied) stands in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

RAW_SCHEMA = "raw_stripe"
RESOURCES = ("customers", "products", "prices", "coupons", "subscriptions", "invoices", "invoice_payments", "charges",
             "refunds", "disputes", "balance_transactions")
# Raw tables of objects no list endpoint returns: the discounts, expanded in the subscriptions listing.
EMBEDDED_TABLES = ("discounts",)
TABLE_OF_OBJECT = {
    "customer": "customers", "product": "products", "price": "prices", "coupon": "coupons",
    "subscription": "subscriptions", "discount": "discounts", "invoice": "invoices",
    "invoice_payment": "invoice_payments", "charge": "charges", "refund": "refunds", "dispute": "disputes",
    "balance_transaction": "balance_transactions",
}
AMOUNT_FIELD = {"charges": "amount", "refunds": "amount", "disputes": "amount", "invoices": "total",
                "balance_transactions": "amount", "prices": "unit_amount", "invoice_payments": "amount_paid",
                "coupons": "amount_off"}
CREATED_FIELD = {"discount": "start"}  # object type -> the field that stands in for `created`
# A list field whose ids a listing or retrieve of the table expands, and the raw table its objects land in.
EXPANDED = {"subscriptions": ("discounts", "discounts")}
LIST_PARAMS = {"subscriptions": {"status": "all", "expand": ["data.discounts"]}}
RETRIEVE_PARAMS = {"subscriptions": {"expand": ["discounts"]}}
# The event that deletes an object, when it is not `<object>.deleted`.
DELETED_EVENT = {"discount": "customer.discount.deleted"}
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
    _loaded_at timestamptz NOT NULL,
    _deleted_at timestamptz
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
# The events about one object in one second: an object merged from an event must be the only one there.
EVENT_OBJECT_INDEX = ("CREATE INDEX IF NOT EXISTS events_object_created ON raw_stripe.events"
                      " ((data #>> '{data,object,id}'), created)")
OBJECT_COLUMNS = ("id, created, status, customer, amount, currency, livemode, data, _stripe_updated_at, _deleted_at,"
                  " _loaded_at")


def ensure_raw_tables(conn: psycopg.Connection, tables: tuple[str, ...] | list[str]) -> None:
    """Create the missing tables, add `_deleted_at` to older ones, index the events by object.

    Only what is missing is changed (a table the loader may no longer alter fails on its own, not here), and the
    changes take turns with any other loader or webhook receiver doing the same.
    """
    wanted = [t for t in tables if t != "events"]
    present = dict(conn.execute(
        "SELECT c.relname, EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = '_deleted_at'"
        " AND NOT a.attisdropped) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')", (RAW_SCHEMA,)).fetchall())
    events_index = conn.execute("SELECT to_regclass('raw_stripe.events_object_created')").fetchone()[0]
    needs_events = "events" in tables and ("events" not in present or events_index is None)
    if all(present.get(t) for t in wanted) and not needs_events:
        return
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('reelhouse:raw_stripe_ddl', 0))")
    for table in wanted:
        if table not in present:
            conn.execute(OBJECT_DDL.format(table=table))
        elif not present[table]:
            conn.execute(f"ALTER TABLE raw_stripe.{table} ADD COLUMN IF NOT EXISTS _deleted_at timestamptz")
    if needs_events:
        conn.execute(EVENTS_DDL)
        conn.execute(EVENT_OBJECT_INDEX)


def timestamp(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def created_of(obj: dict) -> object:
    """The object's `created` (a discount's `start`); whatever is there, for the caller to check."""
    return obj.get(CREATED_FIELD.get(obj.get("object") or "", "created"))


def deletes(event: dict, obj: dict) -> bool:
    """Whether the event says its object was deleted (`customer.deleted`, `customer.discount.deleted`, ...)."""
    kind = obj.get("object") or ""
    return event.get("type") == DELETED_EVENT.get(kind, f"{kind}.deleted")


def row(table: str, obj: dict, version_at: datetime, deleted_at: datetime | None = None) -> tuple:
    """The raw row of one object: typed columns for indexes and quick looks, the whole object in `data`."""
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    amount = obj.get(AMOUNT_FIELD.get(table, ""), None)
    created = obj["start"] if table == "discounts" else obj["created"]
    return (obj["id"], timestamp(created), obj.get("status"), customer,
            amount if isinstance(amount, int) and not isinstance(amount, bool) else None, obj.get("currency"),
            obj.get("livemode"), json.dumps(obj), version_at, deleted_at)


@dataclass
class Written:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, other: Written) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.deleted += other.deleted


def merge(conn: psycopg.Connection, table: str, rows: list[tuple]) -> Written:
    """Upsert versions: a version as new as the row's or newer replaces it when it differs; an equal one only
    moves the row's stamp forward. A row written deleted counts as deleted, not as inserted or updated."""
    # One staging table per raw table for the whole session, emptied for each page: a resource or the events pass
    # merges thousands of pages in one transaction, and a table created and dropped per page kept a lock each until
    # commit ("out of shared memory", max_locks_per_transaction, at 120k events).
    stage = f"_stripe_stage_{table}"
    written = Written()
    if not rows:
        return written
    with conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE raw_stripe.{table})")
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({OBJECT_COLUMNS}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row((*values, "now"))
        newest = (f"SELECT DISTINCT ON (id) * FROM {stage} ORDER BY id, _stripe_updated_at DESC")  # noqa: S608
        cur.execute(
            f"UPDATE raw_stripe.{table} AS t SET _stripe_updated_at = s._stripe_updated_at FROM ({newest}) AS s "  # noqa: S608
            "WHERE t.id = s.id AND s._stripe_updated_at > t._stripe_updated_at AND t.data = s.data "
            "AND t._deleted_at IS NOT DISTINCT FROM s._deleted_at")
        cur.execute(
            f"INSERT INTO raw_stripe.{table} AS t ({OBJECT_COLUMNS}) SELECT {OBJECT_COLUMNS} FROM ({newest}) AS s "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET created = excluded.created, "
            "status = excluded.status, customer = excluded.customer, amount = excluded.amount, "
            "currency = excluded.currency, livemode = excluded.livemode, data = excluded.data, "
            "_stripe_updated_at = excluded._stripe_updated_at, _loaded_at = excluded._loaded_at, "
            "_deleted_at = excluded._deleted_at "
            "WHERE excluded._stripe_updated_at >= t._stripe_updated_at "
            "AND (t.data IS DISTINCT FROM excluded.data OR t._deleted_at IS DISTINCT FROM excluded._deleted_at) "
            "RETURNING (xmax = 0), _deleted_at IS NOT NULL"
        )
        for inserted, deleted in cur.fetchall():
            if deleted:
                written.deleted += 1
            elif inserted:
                written.inserted += 1
            else:
                written.updated += 1
    return written


def unexpanded(table: str, obj: dict) -> tuple[dict, list[dict]]:
    """The object as events deliver it (expanded objects back to their ids) and the expanded objects."""
    if table not in EXPANDED or not isinstance(obj.get(EXPANDED[table][0]), list):
        return obj, []
    field = EXPANDED[table][0]
    inner = [item for item in obj[field] if isinstance(item, dict) and isinstance(item.get("id"), str)
             and item.get("deleted") is not True]
    ids = [item.get("id") if isinstance(item, dict) else item for item in obj[field]]
    return ({**obj, field: ids} if inner or ids != obj[field] else obj), inner


def land(conn: psycopg.Connection, table: str, versions: list[tuple[dict, datetime, datetime | None]]) -> Written:
    """Merge object versions (object, as of, deleted at) into their raw table, in Stripe's unexpanded shape: objects
    expanded inside them go to their own table at the same version, and a subscription's discounts raw holds that
    the subscription no longer lists are marked deleted as of that version."""
    rows, inner_rows, discounts_of = [], [], []
    inner_table = EXPANDED.get(table, ("", ""))[1]
    for obj, at, deleted_at in versions:
        stored, inner = unexpanded(table, obj)
        rows.append(row(table, stored, at, deleted_at))
        inner_rows += [row(inner_table, item, at) for item in inner]
        if table == "subscriptions" and isinstance(stored.get("discounts"), list):
            discounts_of.append({"subscription": stored["id"], "at": at.isoformat(),
                                 "keep": [d for d in stored["discounts"] if isinstance(d, str)]})
    written = Written()
    if inner_rows:
        written.add(merge(conn, inner_table, inner_rows))
    written.add(merge(conn, table, rows))
    written.deleted += retire_discounts(conn, discounts_of)
    return written


def retire_discounts(conn: psycopg.Connection, subscriptions: list[dict]) -> int:
    """A subscription's `discounts` as of a version are all it has then: a live discount raw holds for it that the
    list lacks was removed (Stripe deletes a discount taken off a subscription) and gets `_deleted_at` = that
    version's time, unless raw's discount row is newer than the version."""
    if not subscriptions:
        return 0
    return conn.execute(
        "UPDATE raw_stripe.discounts AS d SET _deleted_at = s.at, _stripe_updated_at = s.at, _loaded_at = now()"
        " FROM jsonb_to_recordset(%s::jsonb) AS s (subscription text, at timestamptz, keep jsonb)"
        " WHERE d.data ->> 'subscription' = s.subscription AND d._deleted_at IS NULL AND d._stripe_updated_at <= s.at"
        " AND NOT s.keep ? d.id", (json.dumps(subscriptions),)).rowcount


def mark_deleted(conn: psycopg.Connection, table: str, ids: list[str], at: datetime) -> int:
    """Stripe says these objects are gone (as of `at`): stamp `_deleted_at`, keep their last state."""
    if not ids:
        return 0
    return conn.execute(
        f"UPDATE raw_stripe.{table} SET _deleted_at = %s, _stripe_updated_at = %s, _loaded_at = now() "  # noqa: S608
        "WHERE id = ANY(%s) AND _deleted_at IS NULL AND _stripe_updated_at <= %s", (at, at, ids, at)).rowcount


def store_events(conn: psycopg.Connection, events: list[dict]) -> list[dict]:
    """Append events not stored yet (by id); returns those that were new, in the order given."""
    if not events:
        return []
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS _stripe_event_stage (LIKE raw_stripe.events)")
        cur.execute("TRUNCATE _stripe_event_stage")
        with cur.copy("COPY _stripe_event_stage (id, created, type, data, _loaded_at) FROM STDIN") as copy:
            for event in events:
                copy.write_row((event["id"], timestamp(event["created"]), event["type"], json.dumps(event), "now"))
        cur.execute("INSERT INTO raw_stripe.events SELECT DISTINCT ON (id) * FROM _stripe_event_stage"
                    " ON CONFLICT (id) DO NOTHING RETURNING id")
        new = {r[0] for r in cur.fetchall()}
    fresh = []
    for event in events:
        if event["id"] in new:
            new.discard(event["id"])
            fresh.append(event)
    return fresh
