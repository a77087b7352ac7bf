"""A resource's first load or full resync in parallel `created` slices, each with its own cursor.

Why. A listing is one request per 100 objects, each waiting for the one before: a large account's first load
(842k objects) took 1,136 s one request at a time. Against api.stripe.com the round trip of a page, not our merge,
sets that pace, and Stripe allows more than one request at a time: its documented defaults are 100 requests/s per
account in live mode (25 in a sandbox) and 25 requests/s per endpoint (each named operation, `GET /v1/charges`
whatever its parameters, is one endpoint). So a few listers work side by side, each on its own range of `created`,
under one shared token bucket (`client.RateLimiter`, `STRIPE_REQUESTS_PER_SECOND`, default 20: the listers of one
resource share its list endpoint, and the account's budget is shared with everything else that calls it).

Plan. With one lister, or when one page of the listing (its filters, no expansion) holds the whole resource, the
plan is one slice, open at both ends. Otherwise the oldest `created` is found within 1/8 of the resource's span by
`created[lt]` probes (`limit=1`, galloping back from the newest object, then halving), the number of objects is
estimated from the first page's density over that span, and the range is cut into as many slices of equal time as
make about MIN_SLICE_OBJECTS each, at most `listers x SLICES_PER_LISTER`, the first open below and the last open
above: slice i lists `created[gte]=b_i & created[lt]=b_i+1`, whole seconds, so every object falls in exactly one
slice however good the estimates were, and the objects of one second are always in one slice. The plan is stored
(ops.stripe_slices) before anything is listed, and a run that finds a plan in progress resumes it, whatever it was
asked.

List. `listers` threads, each with its own warehouse connection (psycopg connections are not shared between
threads) and the one SDK client (it keeps an HTTP session per thread), take the slices newest first (a growing
account's newest slices are its biggest). Every page lands with the stamp rule of every listing
(`_stripe_updated_at` = this run's request time on Stripe's clock, taken before any of its requests: raw.merge
keeps the newest version), and its ids (ops.stripe_listed, for the delete reconciliation) and its slice's cursor
commit in one transaction. A slice's cursor is the `created` of the oldest object it has committed: a resumed slice
lists `created[lt]` = that + 1, so that second is read again and merged away (a second can hold several objects).

Finish. When every slice is done, the reconciliation (each live raw row no slice listed is retrieved: deleted or
404 -> `_deleted_at`), the resource's `created` cursor (the newest object any slice listed) and the removal of the
plan commit in one transaction. Until then the resource's cursor does not move, and a resync it owes stays owed.

Fail. The first failure stops the other listers after the page they are on (committed); the resource's audit row
fails with that cause and says what is kept; the finished slices and every committed page are kept for the next
run, which resumes each slice where it stopped.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from ingestion.stripe.client import Stripe
from ingestion.stripe.raw import LIST_PARAMS, Written, land
from reelhouse.warehouse import connect

log = logging.getLogger(__name__)

SLICES_PER_LISTER = 4  # more slices than listers: a lister that finishes early takes another, so none waits long
MIN_SLICE_OBJECTS = 1000  # no slice is planned smaller (by estimate): each costs a request or two of its own
GALLOP_START = 3600  # seconds back from the newest object for the first probe of the oldest one
PRECISION = 8  # the oldest object is found to within 1/PRECISION of the account's span

SLICES_DDL = """
CREATE TABLE IF NOT EXISTS ops.stripe_slices (
    resource     text NOT NULL,
    slice        integer NOT NULL,
    created_gte  bigint,            -- NULL: open below
    created_lt   bigint,            -- NULL: open above
    resume_lt    bigint,            -- the slice's cursor: the rest is `created` below this; NULL: not started
    newest       bigint,            -- the newest `created` the slice listed
    listed       bigint NOT NULL DEFAULT 0,
    done         boolean NOT NULL DEFAULT false,
    planned_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource, slice)
);
CREATE TABLE IF NOT EXISTS ops.stripe_listed (
    resource  text NOT NULL,
    id        text NOT NULL,
    PRIMARY KEY (resource, id)
);
"""


def ensure_slice_tables(conn: psycopg.Connection) -> None:
    """Create the plan and listed-ids tables (in ops, which the loader owns); the caller commits."""
    if conn.execute("SELECT to_regclass('ops.stripe_slices') IS NOT NULL"
                    " AND to_regclass('ops.stripe_listed') IS NOT NULL").fetchone()[0]:
        return
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('reelhouse:ops_ddl', 0))")
    conn.execute(SLICES_DDL)


@dataclass
class Slice:
    number: int
    gte: int | None
    lt: int | None
    resume_lt: int | None = None
    newest: int | None = None
    listed: int = 0
    done: bool = False


@dataclass(frozen=True)
class ListingProgress:
    """Where a sliced listing stands: objects listed by this run, slices done (by any run) of all."""

    resource: str
    listed: int
    slices_done: int
    slices: int


def boundaries(oldest: int, newest: int, count: int) -> list[tuple[int | None, int | None]]:
    """`count` slices (fewer when the span has fewer seconds) of equal time over [oldest, newest], as
    (created[gte], created[lt]) pairs, the first open below and the last open above: together they cover every
    second, each second in exactly one slice."""
    span = max(1, newest + 1 - oldest)
    count = max(1, min(count, span))
    cuts = [oldest + i * span // count for i in range(1, count)]
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def read_plan(conn: psycopg.Connection, resource: str) -> list[Slice]:
    return [Slice(*row) for row in conn.execute(
        "SELECT slice, created_gte, created_lt, resume_lt, newest, listed, done FROM ops.stripe_slices"
        " WHERE resource = %s ORDER BY slice", (resource,))]


class SlicedListing:
    """One resource's full listing by slices (see the module's docstring); `run` returns what this run wrote."""

    def __init__(self, stripe: Stripe, warehouse_url: str, resource: str, listers: int,
                 on_progress: Callable[[ListingProgress], None] | None = None) -> None:
        self.stripe = stripe
        self.warehouse_url = warehouse_url
        self.resource = resource
        self.listers = max(1, listers)
        self.on_progress = on_progress
        self.params: dict[str, Any] = dict(LIST_PARAMS.get(resource, {}))
        self.written = Written()
        self.listed = 0
        self.slices: list[Slice] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._error: BaseException | None = None

    # --- the plan ----------------------------------------------------------------------------------------------
    def _probe(self, **params: Any) -> dict:
        service = getattr(self.stripe.client.v1, self.resource)
        asked = {key: value for key, value in self.params.items() if key != "expand"} | params
        return self.stripe.call(lambda: service.list(params=asked))

    def _oldest(self, newest: int, step: int) -> int:
        """A second no object predates, within 1/PRECISION of the span from it to the newest object; the probes go
        back `step` seconds, then 4 times further each."""
        def older(second: int) -> bool:
            return bool(self._probe(limit=1, created={"lt": second}).get("data"))

        high = newest + 1  # older(high): the newest object is
        low = max(0, high - step)
        while low > 0 and older(low):
            high, step = low, step * 4
            low = max(0, high - step)
        while high - low > 1 and (high - low) * PRECISION > newest + 1 - high:
            middle = (low + high) // 2
            if older(middle):
                high = middle
            else:
                low = middle
        return low

    def plan(self, conn: psycopg.Connection) -> list[Slice]:
        """The stored plan in progress, else a new one, stored and committed."""
        if slices := read_plan(conn, self.resource):
            conn.commit()
            return slices
        pairs: list[tuple[int | None, int | None]] = [(None, None)]
        first = self._probe(limit=100) if self.listers > 1 else {}
        items = first.get("data") or []
        if first.get("has_more") and items:
            newest = max(item["created"] for item in items)
            page_span = newest + 1 - min(item["created"] for item in items)  # the time the newest 100 took
            oldest = self._oldest(newest, max(GALLOP_START, 4 * page_span))
            density = len(items) / page_span  # objects a second, lately
            estimate = density * (newest + 1 - oldest)
            pairs = boundaries(oldest, newest, min(self.listers * SLICES_PER_LISTER,
                                                   math.ceil(estimate / MIN_SLICE_OBJECTS)))
        conn.execute("DELETE FROM ops.stripe_listed WHERE resource = %s", (self.resource,))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO ops.stripe_slices (resource, slice, created_gte, created_lt)"
                            " VALUES (%s, %s, %s, %s)",
                            [(self.resource, i, gte, lt) for i, (gte, lt) in enumerate(pairs)])
        conn.commit()  # the listers' own connections update it
        log.info("Stripe %s: listing in %d slice(s) with up to %d lister(s)", self.resource, len(pairs), self.listers)
        slices = read_plan(conn, self.resource)
        conn.commit()
        return slices

    # --- listing -----------------------------------------------------------------------------------------------
    def _report(self) -> None:
        if self.on_progress:
            with self._lock:
                progress = ListingProgress(self.resource, self.listed, sum(s.done for s in self.slices),
                                           len(self.slices))
            self.on_progress(progress)

    def _list_slice(self, conn: psycopg.Connection, piece: Slice, asked_at: datetime) -> None:
        upper = piece.resume_lt if piece.resume_lt is not None else piece.lt
        created = {key: value for key, value in (("gte", piece.gte), ("lt", upper)) if value is not None}
        params = {**self.params, **({"created": created} if created else {})}
        for items in self.stripe.pages(self.resource, params):
            if self._stop.is_set():
                return  # another slice failed: this page is not committed, the slice resumes before it
            oldest, newest = min(o["created"] for o in items), max(o["created"] for o in items)
            with conn.transaction():
                written = land(conn, self.resource, [(o, asked_at, None) for o in items])
                conn.execute("INSERT INTO ops.stripe_listed (resource, id) SELECT %s, unnest(%s::text[])"
                             " ON CONFLICT DO NOTHING", (self.resource, [o["id"] for o in items]))
                conn.execute("UPDATE ops.stripe_slices SET resume_lt = %s, newest = greatest(newest, %s),"
                             " listed = listed + %s WHERE resource = %s AND slice = %s",
                             (oldest + 1, newest, len(items), self.resource, piece.number))
            with self._lock:
                self.written.add(written)
                self.listed += len(items)
                piece.resume_lt, piece.listed = oldest + 1, piece.listed + len(items)
                piece.newest = max(piece.newest or newest, newest)
            self._report()
        if self._stop.is_set():
            return
        with conn.transaction():
            conn.execute("UPDATE ops.stripe_slices SET done = true WHERE resource = %s AND slice = %s",
                         (self.resource, piece.number))
        with self._lock:
            piece.done = True
        self._report()

    def _lister(self, pending: queue.SimpleQueue[Slice], asked_at: datetime) -> None:
        """Take slices until none is left or one has failed; a failure is kept for `run` to raise."""
        try:
            with connect(self.warehouse_url) as conn:
                while not self._stop.is_set():
                    try:
                        piece = pending.get_nowait()
                    except queue.Empty:
                        return
                    self._list_slice(conn, piece, asked_at)
        except BaseException as exc:  # noqa: BLE001 - raised by `run` in the calling thread
            with self._lock:
                self._error = self._error or exc  # the cause: the first failure, not what followed it
            self._stop.set()  # the others stop after the page they are on

    def run(self, conn: psycopg.Connection) -> list[Slice]:
        """List every slice not done yet; the first failure is raised once every lister has stopped. Returns the
        plan, every slice done."""
        self.slices = self.plan(conn)
        todo = sorted((s for s in self.slices if not s.done), key=lambda s: -s.number)  # newest first
        if todo:
            asked_at = self.stripe.clock()  # before any listing request of this run: every page is at least as new
            pending: queue.SimpleQueue[Slice] = queue.SimpleQueue()
            for piece in todo:
                pending.put(piece)
            workers = min(self.listers, len(todo))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"stripe-{self.resource}") as pool:
                futures = [pool.submit(self._lister, pending, asked_at) for _ in range(workers)]
            for future in futures:
                future.result()
            if self._error is not None:
                raise self._error
        return self.slices

    def kept(self) -> str:
        """What a failed run leaves for the next one, for its audit row."""
        done = sum(s.done for s in self.slices)
        return (f"{done} of {len(self.slices)} slice(s) done, {self.listed:,} object(s) of this run committed;"
                " the next run resumes each slice where it stopped")


def finish(conn: psycopg.Connection, resource: str) -> int:
    """The newest `created` the plan's slices listed (0 for an empty resource); forgets the plan and its listed ids.
    Call inside the transaction that reconciles and writes the resource's cursor."""
    newest = conn.execute("SELECT coalesce(max(newest), 0) FROM ops.stripe_slices WHERE resource = %s",
                          (resource,)).fetchone()[0]
    conn.execute("DELETE FROM ops.stripe_slices WHERE resource = %s", (resource,))
    conn.execute("DELETE FROM ops.stripe_listed WHERE resource = %s", (resource,))
    return int(newest)
