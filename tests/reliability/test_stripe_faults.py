"""Faults between Stripe and raw_stripe: a killed loader, rate-limit storms, timeouts, odd objects, clock skew,
the same event arriving twice. Each test injects one fault into the real loader, SDK and local Stripe server."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

from faultkit import STRIPE_TABLES, raw_stripe_ids, store_ids, wait_for
from starlette.testclient import TestClient

from ingestion.stripe import RESOURCES, RetryPolicy, load_stripe
from ingestion.stripe.version import STRIPE_API_VERSION
from ingestion.stripe.webhooks import create_webhook_app
from reelhouse.warehouse import connect

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def load(copy: dict, warehouse: str, **kwargs):
    server = copy["server"]
    return load_stripe(server.api_key, server.base_url, warehouse, **{"policy": FAST, **kwargs})


def cursors(owner_url: str) -> dict[str, int]:
    with connect(owner_url) as conn:
        if not conn.execute("SELECT to_regclass('ops.load_state')").fetchone()[0]:
            return {}
        return {table: cursor["created"] for table, cursor in conn.execute(
            "SELECT table_name, cursor FROM ops.load_state WHERE source = 'stripe'")}


def assert_raw_is_the_store(store_url: str, owner_url: str) -> None:
    """No duplicates, no gaps: every table holds exactly the store's ids, once each."""
    expected = store_ids(store_url)
    landed = raw_stripe_ids(owner_url)
    for table, ids in landed.items():
        assert len(ids) == len(set(ids)), f"duplicates in raw_stripe.{table}"
        assert set(ids) == expected[table], f"raw_stripe.{table} differs from Stripe"


def add_objects(store_url: str, *objects: dict, events: tuple[dict, ...] = ()) -> None:
    from demo.stripe_world.store import save

    with connect(store_url) as conn:
        save(conn, objects, events)
        conn.commit()


def newest_created(store_url: str, table: str) -> int:
    kind = {t: k for k, t in STRIPE_TABLES.items()}.get(table)
    with connect(store_url) as conn:
        if kind is None:
            return conn.execute("SELECT max(created) FROM stripe.events").fetchone()[0]
        return conn.execute("SELECT coalesce(max(created), 0) FROM stripe.objects WHERE object_type = %s"
                            " AND NOT deleted", (kind,)).fetchone()[0]


def a_charge(store_url: str) -> dict:
    with connect(store_url) as conn:
        return conn.execute("SELECT data FROM stripe.objects WHERE object_type = 'charge' AND data->>'customer'"
                            " IS NOT NULL ORDER BY id LIMIT 1").fetchone()[0]


def test_loader_killed_with_sigkill_mid_resource_reruns_without_duplicates_gaps_or_a_skewed_cursor(
        stripe_copy, scratch_warehouse):
    """The app-database loader has the same test (tests/ingestion); this is the Stripe path, killed while a
    resource's transaction holds rows it has not committed yet."""
    warehouse = scratch_warehouse("reliability_stripe_kill")
    server = stripe_copy["server"]
    server.faults.delay_seconds = 0.05  # slow enough to be caught in the middle of a resource
    script = textwrap.dedent(f"""
        from ingestion.stripe import load_stripe
        load_stripe({server.api_key!r}, {server.base_url!r}, {warehouse['loader']!r})
    """)
    loader = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())

    def writing_uncommitted_rows_after_a_committed_resource():
        with connect(warehouse["owner"]) as conn:
            writing = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'loader' AND datname = current_database()"
                " AND backend_xid IS NOT NULL").fetchone()[0]
        return writing and len(cursors(warehouse["owner"])) >= 2

    try:
        wait_for(writing_uncommitted_rows_after_a_committed_resource, "the loader to be mid-resource")
        loader.send_signal(signal.SIGKILL)
        loader.wait(timeout=30)
    finally:
        if loader.poll() is None:
            loader.kill()
    server.faults.delay_seconds = 0
    assert loader.returncode == -signal.SIGKILL
    # What the dying process left: each resource with a cursor committed whole; the one being loaded (a first load:
    # parallel slices, ingestion/stripe/slices.py) kept exactly the pages its slices committed, for the rerun to
    # resume, and no cursor.
    committed = cursors(warehouse["owner"])
    in_store, landed = store_ids(stripe_copy["store"]), raw_stripe_ids(warehouse["owner"])
    interrupted = next(resource for resource in RESOURCES if resource not in committed)
    assert "events" not in committed, "the kill must land mid-load for this test to mean anything"
    for resource in committed:
        assert set(landed[resource]) == in_store[resource], resource
        assert committed[resource] == newest_created(stripe_copy["store"], resource), resource
    with connect(warehouse["owner"]) as conn:
        listed = {row[0] for row in conn.execute("SELECT id FROM ops.stripe_listed WHERE resource = %s",
                                                 (interrupted,))}
    assert len(landed[interrupted]) == len(listed) and set(landed[interrupted]) == listed <= in_store[interrupted], \
        f"{interrupted} was being loaded: only the pages its slices committed may survive the kill"

    results = load(stripe_copy, warehouse["loader"])
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert_raw_is_the_store(stripe_copy["store"], warehouse["owner"])
    assert cursors(warehouse["owner"]) == {resource: newest_created(stripe_copy["store"], resource)
                                           for resource in [*RESOURCES, "events"]}
    again = load(stripe_copy, warehouse["loader"])
    assert sum(r.inserted + r.updated for r in again) == 0


def test_a_429_storm_longer_than_the_retries_fails_only_that_resource_and_keeps_its_cursor(
        stripe_copy, scratch_warehouse, caplog):
    warehouse = scratch_warehouse("reliability_stripe_429")
    policy = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
    faults = stripe_copy["server"].faults
    faults.rate_limited, faults.retry_after = policy.attempts, 0.3  # exactly enough to exhaust customers
    with caplog.at_level(logging.INFO, logger="ingestion.stripe"):
        results = {r.table: r for r in load(stripe_copy, warehouse["loader"], policy=policy)}
    assert results["customers"].status == "failed"
    assert "HTTP 429" in results["customers"].error and "4 attempts" in results["customers"].error
    assert all(r.ok for name, r in results.items() if name != "customers")
    waits = [record.getMessage() for record in caplog.records if "retrying in" in record.getMessage()]
    assert len(waits) == policy.attempts - 1 and all("retrying in 0.3s" in w for w in waits)  # Retry-After honoured
    assert "customers" not in cursors(warehouse["owner"])  # never advanced: the next run lists every customer
    with connect(warehouse["owner"]) as conn:
        audit = conn.execute("SELECT status, error FROM ops.load_audit WHERE table_name = 'customers'").fetchall()
    assert audit == [("failed", results["customers"].error)]

    healed = load(stripe_copy, warehouse["loader"])  # the storm is over
    assert all(r.ok for r in healed)
    assert_raw_is_the_store(stripe_copy["store"], warehouse["owner"])


def test_stripe_timing_out_fails_the_resource_quickly_and_a_later_run_catches_up(stripe_copy, scratch_warehouse):
    warehouse = scratch_warehouse("reliability_stripe_timeout")
    load(stripe_copy, warehouse["loader"], resources=["charges"])
    before = cursors(warehouse["owner"])
    faults = stripe_copy["server"].faults
    faults.delay_seconds = 2.0  # every response takes longer than the client waits
    policy = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, timeout_seconds=0.3)
    try:
        results = {r.table: r for r in load(stripe_copy, warehouse["loader"], resources=["charges"], policy=policy)}
    finally:
        faults.delay_seconds = 0
    assert results["charges"].status == "failed" and results["events"].status == "failed"
    assert "network error" in results["charges"].error
    assert cursors(warehouse["owner"]) == before
    add_objects(stripe_copy["store"], {**a_charge(stripe_copy["store"]), "id": "ch_after_the_timeouts",
                                       "created": int(time.time()) - 60})
    assert all(r.ok for r in load(stripe_copy, warehouse["loader"], resources=["charges"]))
    with connect(warehouse["owner"]) as conn:
        assert conn.execute("SELECT count(*) FROM raw_stripe.charges WHERE id = 'ch_after_the_timeouts'"
                            ).fetchone()[0] == 1


def test_an_object_with_new_fields_and_nulls_loads_and_its_staging_view_reads_it(
        stripe_copy, scratch_warehouse, built_marts):
    warehouse = scratch_warehouse("reliability_stripe_shape")
    charge = a_charge(stripe_copy["store"])
    odd = {**charge, "id": "ch_new_shape", "customer": None, "amount": None, "currency": None, "status": None,
           "invoice": None, "metadata": None, "balance_transaction": None, "failure_code": None,
           "payment_method_details": {"type": "card", "card": {"brand": "visa", "three_d_secure": None}},
           "radar_risk_v2": {"score": 12, "signals": []}, "brand_new_flag": True}
    expanded = {**charge, "id": "ch_expanded_customer", "customer": {"id": charge["customer"], "object": "customer"}}
    add_objects(stripe_copy["store"], odd, expanded)
    results = load(stripe_copy, warehouse["loader"], resources=["charges"])
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    with connect(warehouse["owner"]) as conn:
        row = conn.execute("SELECT customer, amount, currency, status, data->'radar_risk_v2'->>'score',"
                           " data->>'brand_new_flag' FROM raw_stripe.charges WHERE id = 'ch_new_shape'").fetchone()
        customer = conn.execute("SELECT customer FROM raw_stripe.charges WHERE id = 'ch_expanded_customer'"
                                ).fetchone()[0]
    assert row == (None, None, None, None, "12", "true")  # nulls stay null, new fields are kept in data
    assert customer == charge["customer"]  # an expanded customer object still lands as its id

    # The staging model exactly as dbt compiled it for the session's warehouse, run on this one.
    compiled = (built_marts / "compiled" / "reelhouse" / "models" / "staging" / "stripe" / "stg_stripe__charges.sql")
    model = compiled.read_text().replace('"reelhouse"."raw_stripe"', '"raw_stripe"')
    with connect(warehouse["transformer"]) as conn:
        staged = conn.execute(f"SELECT customer_id, amount_cents, pack_id, credit_transaction_id, failure_code"
                              f" FROM ({model}) AS stg WHERE charge_id = 'ch_new_shape'").fetchone()
    assert staged == (None, None, None, None, None)


def test_an_object_dated_in_the_future_does_not_stall_the_cursor(stripe_copy, scratch_warehouse):
    """Clock skew: one object (and its event) stamped 30 days ahead must not make later objects invisible."""
    warehouse = scratch_warehouse("reliability_stripe_future")
    store = stripe_copy["store"]
    now = int(time.time())
    charge = a_charge(store)
    future = {**charge, "id": "ch_from_the_future", "created": now + 30 * 86_400}
    future_event = {"id": "evt_from_the_future", "object": "event", "type": "charge.succeeded",
                    "created": future["created"], "api_version": STRIPE_API_VERSION, "data": {"object": future}}
    add_objects(store, future, events=(future_event,))
    assert all(r.ok for r in load(stripe_copy, warehouse["loader"], resources=["charges"]))

    created = int(time.time())  # Stripe's next object, created after that run
    later = {**charge, "id": "ch_created_after_the_skewed_one", "created": created, "status": "succeeded"}
    later_event = {"id": "evt_after_the_skewed_one", "object": "event", "type": "charge.succeeded",
                   "created": created, "api_version": STRIPE_API_VERSION, "data": {"object": later}}
    add_objects(store, later, events=(later_event,))
    assert all(r.ok for r in load(stripe_copy, warehouse["loader"], resources=["charges"]))
    with connect(warehouse["owner"]) as conn:
        landed = conn.execute("SELECT status FROM raw_stripe.charges WHERE id = 'ch_created_after_the_skewed_one'"
                              ).fetchone()
        event = conn.execute("SELECT count(*) FROM raw_stripe.events WHERE id = 'evt_after_the_skewed_one'"
                             ).fetchone()[0]
        future_landed = conn.execute("SELECT count(*) FROM raw_stripe.charges WHERE id = 'ch_from_the_future'"
                                     ).fetchone()[0]
    assert future_landed == 1  # the skewed object itself is kept (Stripe's data, not ours to drop)
    assert landed == ("succeeded",) and event == 1
    assert all(created <= time.time() for created in cursors(warehouse["owner"]).values())


def test_an_event_from_the_webhook_and_again_from_the_events_api_is_stored_once(stripe_copy, scratch_warehouse):
    warehouse = scratch_warehouse("reliability_stripe_dup_events")
    store = stripe_copy["store"]
    assert all(r.ok for r in load(stripe_copy, warehouse["loader"]))
    secret = "whsec_reliability"
    server = stripe_copy["server"]
    receiver = TestClient(create_webhook_app(warehouse["loader"], secret, api_key=server.api_key,
                                             api_base=server.base_url))
    now = int(time.time())
    charge = {**a_charge(store), "id": "ch_seen_twice", "created": now - 120, "status": "pending"}
    events = [{"id": "evt_seen_twice_1", "object": "event", "type": "charge.pending", "created": now - 120,
               "api_version": STRIPE_API_VERSION, "data": {"object": charge}},
              {"id": "evt_seen_twice_2", "object": "event", "type": "charge.succeeded", "created": now - 60,
               "api_version": STRIPE_API_VERSION, "data": {"object": {**charge, "status": "succeeded"}}}]
    add_objects(store, {**charge, "status": "succeeded"}, events=tuple(events))
    for event in reversed(events):  # the webhook delivers out of order, and retries the newer one
        for _ in range(2):
            payload = json.dumps(event)
            signature = hmac.new(secret.encode(), f"{now}.{payload}".encode(), hashlib.sha256).hexdigest()
            response = receiver.post("/stripe/webhooks", content=payload,
                                     headers={"Stripe-Signature": f"t={now},v1={signature}"})
            assert response.status_code == 200
    results = load(stripe_copy, warehouse["loader"])  # the hourly pass lists the same events and the object
    assert all(r.ok for r in results)
    assert_raw_is_the_store(store, warehouse["owner"])
    with connect(warehouse["owner"]) as conn:
        status = conn.execute("SELECT status FROM raw_stripe.charges WHERE id = 'ch_seen_twice'").fetchone()[0]
        stored = conn.execute("SELECT count(*) FROM raw_stripe.events WHERE id LIKE 'evt_seen_twice_%'"
                              ).fetchone()[0]
    assert status == "succeeded" and stored == 2  # the newest version wins whatever the arrival order
