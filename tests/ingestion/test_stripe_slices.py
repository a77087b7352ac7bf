"""A Stripe first load or full resync in parallel `created` slices under one rate limit (ingestion/stripe/slices.py),
through the real loader, SDK and local Stripe-compatible server into a scratch warehouse.

Each test crafts an account whose objects sit on every second of a range (several on some seconds), so whatever
boundaries the plan draws, objects lie on them and share a second with others.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from types import SimpleNamespace

import pytest

from ingestion.stripe import ListingProgress, RetryPolicy, load_stripe, slices
from ingestion.stripe.client import RateLimiter, Stripe
from ingestion.stripe.slices import SlicedListing, boundaries, ensure_slice_tables
from reelhouse.warehouse import connect

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
SECONDS = 1200  # customers on every second of this range, two more on every tenth second


def customer(cid: str, created: int, **extra) -> dict:
    return {"id": cid, "object": "customer", "created": created, "email": f"{cid}@example.com", "name": cid,
            "livemode": False, "metadata": {}, "currency": "usd", **extra}


def save(store: str, *objects: dict) -> None:
    from demo.stripe_world.store import save as save_objects

    with connect(store) as conn:
        save_objects(conn, objects, ())
        conn.commit()


@pytest.fixture()
def account(fresh_database, scratch_warehouse, request):
    """1,440 customers over 20 minutes ending 3 hours ago, served locally; an empty warehouse."""
    from demo.stripe_world.background import running_stripe_server
    from demo.stripe_world.store import ensure_schema

    name = hashlib.md5(request.node.name.encode()).hexdigest()[:10]
    store = fresh_database(f"sl_{name}")
    t0 = int(time.time()) - 3 * 3600 - SECONDS
    with connect(store) as conn:
        ensure_schema(conn)
        conn.commit()
    objects = [customer(f"cus_{s:04d}_{n}", t0 + s) for s in range(SECONDS) for n in range(3 if s % 10 == 0 else 1)]
    save(store, *objects)
    warehouse = scratch_warehouse(f"slw_{name}")
    with running_stripe_server(store) as server:
        yield SimpleNamespace(store=store, server=server, t0=t0, created={o["id"]: o["created"] for o in objects},
                              **warehouse)


@pytest.fixture(autouse=True)
def small_slices(monkeypatch):
    """Slices of about 50 objects (1,000 in production), so a small account is cut into many."""
    monkeypatch.setattr(slices, "MIN_SLICE_OBJECTS", 50)


def load(account, **kwargs) -> dict:
    results = load_stripe(account.server.api_key, account.server.base_url, account.loader,
                          **{"policy": FAST, "requests_per_second": 1000, **kwargs})
    return {r.table: r for r in results}


def raw_customers(account) -> dict[str, int]:
    with connect(account.owner) as conn:
        return dict(conn.execute("SELECT id, extract(epoch FROM created)::bigint FROM raw_stripe.customers"
                                 " WHERE _deleted_at IS NULL"))


def plan_rows(account) -> list[tuple]:
    with connect(account.owner) as conn:
        return conn.execute("SELECT slice, created_gte, created_lt, resume_lt, done FROM ops.stripe_slices"
                            " WHERE resource = 'customers' ORDER BY slice").fetchall()


class Progress:
    """What on_listing reported, per resource (called from the listers' threads)."""

    def __init__(self) -> None:
        self.seen: dict[str, ListingProgress] = {}
        self.lock = threading.Lock()

    def __call__(self, update: ListingProgress) -> None:
        with self.lock:
            last = self.seen.get(update.resource)
            if last is None or (update.listed, update.slices_done) >= (last.listed, last.slices_done):
                self.seen[update.resource] = update


# --- the plan -----------------------------------------------------------------------------------------------------

def test_slices_cover_every_second_exactly_once_open_at_both_ends():
    rng = random.Random(20)
    for _ in range(500):
        oldest = rng.randrange(1_300_000_000, 1_800_000_000)
        newest = oldest + rng.choice([0, 1, 5, 63, 3_600, rng.randrange(1, 10**8)])
        pairs = boundaries(oldest, newest, rng.randrange(1, 70))
        assert pairs[0][0] is None and pairs[-1][1] is None
        assert all(lt == next_gte for (_, lt), (next_gte, _) in zip(pairs, pairs[1:], strict=False))
        cuts = [gte for gte, _ in pairs[1:]]
        assert cuts == sorted(set(cuts)) and all(oldest < cut <= newest for cut in cuts)
        for second in {oldest - 86_400, oldest, newest, newest + 86_400, *cuts, *(c - 1 for c in cuts)}:
            holding = [p for p in pairs if (p[0] is None or second >= p[0]) and (p[1] is None or second < p[1])]
            assert len(holding) == 1, (second, pairs)


# --- the rate limit -----------------------------------------------------------------------------------------------

def test_the_rate_limiter_gives_threads_one_slot_each_at_the_configured_rate():
    """On an injected clock that stands still, 8 threads asking 25 times each get 200 distinct slots exactly 1/rate
    apart; after a pause, no more than `burst` go at once (unused time is not banked beyond it)."""
    now = [1_000.0]
    limiter = RateLimiter(10.0, burst=1, clock=lambda: now[0], sleep=lambda _: None)
    waits: list[float] = []
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(25):
            wait = limiter.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(w, 6) for w in waits) == [round(k / 10, 6) for k in range(200)]
    now[0] += 19.9 + 60  # a minute after the last reserved slot
    assert [round(limiter.acquire(), 6) for _ in range(3)] == [0.0, 0.1, 0.2]


def test_parallel_listers_stay_under_the_rate_limit_seen_by_the_server(account):
    """The server's own request counter over the load's wall time: never more than burst + rate x seconds. With
    no limiter the four listers outrun it many times on the local server."""
    faults = account.server.faults
    before, started = faults.requests_seen, time.monotonic()
    results = load(account, resources=["customers"], listers=4, requests_per_second=10)
    seconds, requests = time.monotonic() - started, faults.requests_seen - before
    assert all(r.ok for r in results.values()), {t: r.error for t, r in results.items()}
    assert requests >= 20, requests  # enough requests that the limit had to hold them back
    assert requests <= 1 + 10 * seconds, f"{requests} requests in {seconds:.2f}s: over 10/s"


# --- coverage, resume, full refresh -------------------------------------------------------------------------------

def test_a_sliced_first_load_lands_every_object_once_on_boundaries_and_shared_seconds(account):
    progress = Progress()
    plans: list[list[tuple]] = []

    def watch(update: ListingProgress) -> None:
        progress(update)
        if update.resource == "customers" and not plans:
            plans.append(plan_rows(account))  # the plan while it is in progress (gone once done)

    results = load(account, listers=4, on_listing=watch)
    assert all(r.ok for r in results.values()), {t: r.error for t, r in results.items()}
    seen = progress.seen["customers"]
    assert seen.slices > 4 and seen.slices_done == seen.slices and seen.listed == len(account.created)
    cuts = [gte for _, gte, _, _, _ in plans[0][1:]]
    inside = [cut for cut in cuts if account.t0 <= cut < account.t0 + SECONDS]  # each holds 1 or 3 objects
    assert len(inside) >= len(cuts) - 2 >= 8, "objects must lie on the slices' boundaries"
    assert raw_customers(account) == account.created  # nothing lost, nothing twice (ids are the key)
    assert results["customers"].inserted == len(account.created)
    assert results["customers"].cursor_after == {"created": max(account.created.values())}
    assert plan_rows(account) == []  # the plan is forgotten once done, and its listed ids with it
    with connect(account.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.stripe_listed").fetchone()[0] == 0
    again = load(account, listers=4)  # the next run is incremental: one request at a time from the cursor
    assert sum(r.inserted + r.updated for r in again.values()) == 0


def test_a_failure_mid_slice_keeps_each_slices_progress_and_the_next_run_resumes_each_where_it_stopped(account):
    """A fault in the warehouse while one slice lands its second page: that resource fails with the cause, the
    other listers stop after their page, every committed page stays; the next run lists only what each slice had
    left (its own cursor), and the end holds every object once."""
    load(account, resources=["products"])  # the raw tables exist
    stripe = Stripe(account.server.api_key, account.server.base_url, FAST)
    with connect(account.loader) as conn:
        ensure_slice_tables(conn)
        conn.commit()
        plan = SlicedListing(stripe, account.loader, "customers", listers=2).plan(conn)
    assert len(plan) >= 4

    def in_slice(piece, created: int) -> bool:
        return (piece.gte is None or created >= piece.gte) and (piece.lt is None or created < piece.lt)

    victim_slice = plan[len(plan) // 2]
    newest_first = sorted((c, i) for i, c in account.created.items() if in_slice(victim_slice, c))[::-1]
    assert len(newest_first) > 130, "the failing slice must have a committed page before the fault"
    victim = newest_first[110][1]  # on its second page
    with connect(account.owner, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.injected_fault() RETURNS trigger LANGUAGE plpgsql AS"
                     " $$BEGIN RAISE EXCEPTION 'injected fault landing %', NEW.id; END$$")
        conn.execute("CREATE TRIGGER injected_fault BEFORE INSERT ON raw_stripe.customers FOR EACH ROW"
                     f" WHEN (NEW.id = '{victim}') EXECUTE FUNCTION public.injected_fault()")

    first = load(account, resources=["customers"], listers=2)
    assert not first["customers"].ok and first["events"].ok  # the events pass still runs after the resources
    error = first["customers"].error
    assert f"injected fault landing {victim}" in error and "the next run resumes each slice" in error, error
    with connect(account.owner) as conn:
        audit = conn.execute("SELECT status, error FROM ops.load_audit WHERE table_name = 'customers'"
                             " ORDER BY id DESC LIMIT 1").fetchone()
        cursor = conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'customers'").fetchone()
    assert audit == ("failed", error) and cursor is None  # the resource's cursor waits for every slice

    landed = raw_customers(account)
    assert landed and set(landed.items()) <= set(account.created.items())
    state = {row[0]: row for row in plan_rows(account)}
    victim_state = state[victim_slice.number]
    assert not victim_state[4] and victim_state[3] is not None, "its first page stays committed"
    left = 0
    for piece in plan:
        _, _, _, resume_lt, done = state[piece.number]
        ids = {i for i, c in account.created.items() if in_slice(piece, c)}
        committed = {i for i in ids if i in landed}
        if done:
            assert committed == ids
            continue
        if resume_lt is None:  # not started
            assert committed == set(), piece
            todo = ids
        else:  # committed down to the second before its cursor, that second perhaps in part
            assert {i for i in ids if account.created[i] >= resume_lt} <= committed \
                <= {i for i in ids if account.created[i] >= resume_lt - 1}, piece
            todo = {i for i in ids if account.created[i] < resume_lt}
        left += len(todo)

    with connect(account.owner, autocommit=True) as conn:
        conn.execute("DROP TRIGGER injected_fault ON raw_stripe.customers")
    progress = Progress()
    second = load(account, resources=["customers"], listers=2, on_listing=progress)
    assert all(r.ok for r in second.values()), {t: r.error for t, r in second.items()}
    assert progress.seen["customers"].listed == left < len(account.created)  # each slice from its own cursor
    assert second["customers"].inserted == len(account.created) - len(landed)
    assert raw_customers(account) == account.created
    assert second["customers"].cursor_after == {"created": max(account.created.values())}
    assert plan_rows(account) == []


def test_a_sliced_full_refresh_replaces_stale_rows_and_reconciles_deletes(account):
    assert all(r.ok for r in load(account, listers=4).values())
    changed, stubbed, gone = "cus_0600_0", "cus_0300_0", "cus_0900_0"
    save(account.store, customer(changed, account.created[changed], name="Renamed without an event"),
         {**customer(stubbed, account.created[stubbed]), "deleted": True})
    with connect(account.store) as conn:  # gone altogether: a retrieve answers 404
        conn.execute("DELETE FROM stripe.objects WHERE id = %s", (gone,))
        conn.commit()
    assert all(r.ok for r in load(account, listers=4).values())  # incremental: cannot know
    progress = Progress()
    results = load(account, listers=4, full_resync=True, on_listing=progress)
    assert all(r.ok for r in results.values()), {t: r.error for t, r in results.items()}
    assert progress.seen["customers"].slices > 4
    assert (results["customers"].inserted, results["customers"].updated, results["customers"].deleted) == (0, 1, 2)
    with connect(account.owner) as conn:
        rows = {cid: (name, deleted) for cid, name, deleted in conn.execute(
            "SELECT id, data->>'name', _deleted_at IS NOT NULL FROM raw_stripe.customers WHERE id = ANY(%s)",
            ([changed, stubbed, gone],))}
    assert rows == {changed: ("Renamed without an event", False), stubbed: (stubbed, True), gone: (gone, True)}
    assert len(raw_customers(account)) == len(account.created) - 2
    assert plan_rows(account) == []
