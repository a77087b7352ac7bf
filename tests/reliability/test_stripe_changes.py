"""No Stripe change may be lost: each test crafts a small account in the pinned version's shapes, serves it with the
local Stripe-compatible server, injects one fault a real account produces, and runs the real loader (or webhook
receiver) through the official SDK into a scratch warehouse."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import re
import time
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
import stripe
from starlette.testclient import TestClient

from ingestion.stripe import RESOURCES, RetryPolicy, load_stripe
from ingestion.stripe.version import STRIPE_API_VERSION
from ingestion.stripe.webhooks import create_webhook_app
from reelhouse.warehouse import connect

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
OLD_VERSION = "2024-06-20"
DBT_MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"


# --- a small account ----------------------------------------------------------------------------------------------

def customer(cid: str, created: int, **extra) -> dict:
    return {"id": cid, "object": "customer", "created": created, "email": f"{cid}@example.com", "name": cid,
            "livemode": False, "metadata": {}, "currency": "usd", **extra}


def product(pid: str, created: int, name: str) -> dict:
    return {"id": pid, "object": "product", "created": created, "name": name, "active": True, "livemode": False,
            "metadata": {}, "updated": created}


def price(pid: str, created: int, product_id: str, decimal: str = "1999") -> dict:
    return {"id": pid, "object": "price", "created": created, "product": product_id, "currency": "usd",
            "unit_amount": 1999, "unit_amount_decimal": decimal, "type": "recurring", "active": True,
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}, "livemode": False}


def subscription(sid: str, created: int, status: str, customer_id: str = "cus_a") -> dict:
    return {"id": sid, "object": "subscription", "created": created, "customer": customer_id, "status": status,
            "currency": "usd", "livemode": False, "cancel_at_period_end": False,
            "items": {"object": "list", "data": [{"id": f"si_{sid}", "object": "subscription_item",
                                                  "current_period_start": created,
                                                  "current_period_end": created + 30 * 86_400}]}}


def invoice(iid: str, created: int, status: str, subscription_id: str = "sub_1") -> dict:
    return {"id": iid, "object": "invoice", "created": created, "customer": "cus_a", "status": status,
            "currency": "usd", "total": 1999, "livemode": False,
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"subscription": subscription_id, "metadata": {}}},
            "total_taxes": []}


def invoice_payment(ipid: str, created: int, invoice_id: str) -> dict:
    return {"id": ipid, "object": "invoice_payment", "created": created, "invoice": invoice_id, "amount_paid": 1999,
            "amount_requested": 1999, "currency": "usd", "is_default": True, "livemode": False, "status": "paid",
            "payment": {"type": "payment_intent", "payment_intent": "pi_1"},
            "status_transitions": {"paid_at": created, "canceled_at": None}}


def event(eid: str, kind: str, created: int, obj: dict, api_version: str = STRIPE_API_VERSION) -> dict:
    return {"id": eid, "object": "event", "type": kind, "created": created, "api_version": api_version,
            "data": {"object": obj}, "livemode": False, "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None}}


def save(store: str, *objects: dict, events: tuple[dict, ...] = ()) -> None:
    from demo.stripe_world.store import save as save_objects

    with connect(store) as conn:
        save_objects(conn, objects, events)
        conn.commit()


def now() -> int:
    return int(time.time())


@pytest.fixture()
def account(fresh_database, scratch_warehouse, request):
    """An account with two customers, a product and its price, a subscription with one invoice and its payment,
    served locally; and an empty warehouse."""
    from demo.stripe_world.background import running_stripe_server
    from demo.stripe_world.store import ensure_schema

    name = request.node.name[:40].lower()
    store = fresh_database(f"st_{hashlib.md5(name.encode()).hexdigest()[:10]}")
    t0 = now() - 3 * 3600
    with connect(store) as conn:
        ensure_schema(conn)
        conn.commit()
    save(store, customer("cus_a", t0), customer("cus_b", t0 + 10), product("prod_1", t0 + 20, "Basic"),
         price("price_1", t0 + 30, "prod_1"), subscription("sub_1", t0 + 40, "active"),
         invoice("in_1", t0 + 50, "paid"), invoice_payment("inpay_1", t0 + 60, "in_1"),
         events=(event("evt_0", "customer.created", t0, customer("cus_a", t0)),))
    warehouse = scratch_warehouse(f"wh_{hashlib.md5(name.encode()).hexdigest()[:10]}")
    with running_stripe_server(store) as server:
        yield SimpleNamespace(store=store, server=server, t0=t0, **warehouse)


def load(account, **kwargs) -> dict:
    server = account.server
    results = load_stripe(server.api_key, server.base_url, account.loader, **{"policy": FAST, **kwargs})
    return {r.table: r for r in results}


def raw(account, table: str, object_id: str, what: str = "data") -> object:
    with connect(account.owner) as conn:
        found = conn.execute(f"SELECT {what} FROM raw_stripe.{table} WHERE id = %s", (object_id,)).fetchone()
    return found[0] if found else None


def audit(account) -> list[tuple]:
    with connect(account.owner) as conn:
        return conn.execute("SELECT table_name, status, rows_inserted, rows_updated, rows_deleted, error"
                            " FROM ops.load_audit ORDER BY id").fetchall()


def all_ok(results: dict) -> bool:
    return all(r.ok for r in results.values())


# --- the first load in today's shapes ---------------------------------------------------------------------------

def test_every_request_names_the_pinned_version_whatever_the_sdk_defaults_to(account, monkeypatch):
    """The SDK's default version moves with its releases; the account answers only the version we name."""
    monkeypatch.setattr(stripe._api_version._ApiVersion, "CURRENT", "2099-01-01.future")
    results = load(account)
    assert all_ok(results), {t: r.error for t, r in results.items() if not r.ok}
    assert raw(account, "customers", "cus_a", "id") == "cus_a"


def test_a_decimal_amount_is_kept_exactly_as_stripe_sent_it(account):
    exact = "1999.123456789012345678901"  # more digits than a float holds
    save(account.store, price("price_exact", account.t0 + 35, "prod_1", decimal=exact))
    results = load(account)
    assert all_ok(results), {t: r.error for t, r in results.items() if not r.ok}
    with connect(account.owner) as conn:
        kept = conn.execute("SELECT data->>'unit_amount_decimal', jsonb_typeof(data->'unit_amount_decimal')"
                            " FROM raw_stripe.prices WHERE id = 'price_exact'").fetchone()
    assert kept == (exact, "string")


def test_invoice_payments_are_listed_and_stored(account):
    results = load(account)
    assert results["invoice_payments"].ok and results["invoice_payments"].inserted == 1
    with connect(account.owner) as conn:
        landed = conn.execute("SELECT data->>'invoice', amount FROM raw_stripe.invoice_payments").fetchall()
    assert landed == [("in_1", 1999)]


def test_an_event_whose_object_has_no_id_is_stored_and_never_merged(account):
    upcoming = {k: v for k, v in invoice("in_unused", now(), "draft").items() if k != "id"}
    save(account.store, events=(event("evt_upcoming", "invoice.upcoming", now() - 5, upcoming),))
    results = load(account)
    assert all_ok(results), {t: r.error for t, r in results.items() if not r.ok}
    with connect(account.owner) as conn:
        stored = conn.execute("SELECT type FROM raw_stripe.events WHERE id = 'evt_upcoming'").fetchone()
        invoices = [r[0] for r in conn.execute("SELECT id FROM raw_stripe.invoices")]
    assert stored == ("invoice.upcoming",) and invoices == ["in_1"]


# --- one resource failing alone -----------------------------------------------------------------------------------

def test_a_permission_error_on_one_raw_table_fails_only_that_table_with_its_cause(account):
    assert all_ok(load(account))
    with connect(account.owner, autocommit=True) as conn:
        cursor_before = conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'prices'").fetchone()[0]
        conn.execute("ALTER TABLE raw_stripe.prices OWNER TO CURRENT_USER")  # the loader may no longer write it
    later = now() - 60
    save(account.store, customer("cus_new", later), price("price_new", later, "prod_1"),
         product("prod_new", later, "Pro"))
    results = load(account)
    failed = {t: r.error for t, r in results.items() if not r.ok}
    assert list(failed) == ["prices"], failed
    assert "permission denied for table prices" in failed["prices"]
    assert "connection" not in failed["prices"] and "\n" not in failed["prices"]
    assert raw(account, "customers", "cus_new", "id") == "cus_new"  # resources after it still load
    assert raw(account, "products", "prod_new", "id") == "prod_new"
    rows = audit(account)
    assert ("prices", "failed") in [(t, s) for t, s, *_ in rows[-len(results):]]
    assert [r for r in rows if r[0] == "prices"][-1][5] == failed["prices"]
    with connect(account.owner) as conn:
        assert conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'prices'").fetchone()[0] \
            == cursor_before


def test_any_exception_in_one_resource_is_audited_and_the_rest_load(account):
    broken = {k: v for k, v in product("prod_broken", now() - 60, "No created").items() if k != "created"}
    with connect(account.store) as conn:  # the store needs a created to list it; the object Stripe sends has none
        conn.execute("INSERT INTO stripe.objects (id, object_type, created, data) VALUES (%s, 'product', %s, %s)",
                     ("prod_broken", now() - 60, json.dumps(broken)))
        conn.commit()
    results = load(account)
    failed = {t: r.error for t, r in results.items() if not r.ok}
    assert failed == {"products": "KeyError: 'created'"}
    assert [r[:2] for r in audit(account) if r[0] == "products"] == [("products", "failed")]
    assert raw(account, "prices", "price_1", "id") == "price_1"


# --- events after the resources; every row counted --------------------------------------------------------------

def test_events_load_after_the_resources_in_whatever_order_they_are_named(account):
    load(account, resources=["events", "prices", "customers"])
    assert [row[0] for row in audit(account)] == ["customers", "prices", "events"]


def test_events_load_after_the_resources_in_the_dagster_asset_too(account):
    from dagster import materialize

    from orchestration.defs.ingestion.assets import stripe_objects
    from orchestration.lib.resources import StripeApi, Warehouse

    result = materialize([stripe_objects], resources={
        "warehouse": Warehouse(loader_url=account.loader, transformer_url=account.loader, analyst_url=account.loader),
        "stripe_api": StripeApi(api_key=account.server.api_key, api_base=account.server.base_url,
                                retry_budget_seconds=30)})
    assert result.success
    assert [row[0] for row in audit(account)] == [*RESOURCES, "events"]


def test_every_row_the_events_pass_writes_is_counted(account):
    assert all_ok(load(account))
    at = now()
    save(account.store, product("prod_2", at, "Team"), customer("cus_a", account.t0, name="Ana Renamed"),
         {**customer("cus_b", account.t0 + 10), "deleted": True},
         events=(event("evt_p2", "product.created", at, product("prod_2", at, "Team")),
                 event("evt_a", "customer.updated", at, customer("cus_a", account.t0, name="Ana Renamed")),
                 event("evt_b", "customer.deleted", at, customer("cus_b", account.t0 + 10))))
    results = load(account, resources=["customers"])  # products are not listed: prod_2 comes from its event
    assert all_ok(results)
    counts = {r[0]: r[2:5] for r in audit(account)[-2:]}
    assert counts["events"] == (3 + 1, 1, 1)  # 3 events and prod_2 inserted, cus_a updated, cus_b deleted
    assert raw(account, "customers", "cus_a", "data->>'name'") == "Ana Renamed"
    assert raw(account, "customers", "cus_b", "_deleted_at") is not None


# --- versions: a full refresh repairs, ties and older versions are retrieved -----------------------------------

def test_a_full_refresh_replaces_a_row_changed_without_an_event(account):
    save(account.store, product("prod_2", account.t0 + 25, "Team"))  # prod_1 is not the newest: not listed again
    assert all_ok(load(account))
    save(account.store, product("prod_1", account.t0 + 20, "Basic (renamed)"))  # no event for this change
    assert all_ok(load(account))
    assert raw(account, "products", "prod_1", "data->>'name'") == "Basic"  # an incremental run cannot know
    results = load(account, full_resync=True)
    assert all_ok(results) and results["products"].updated == 1
    assert raw(account, "products", "prod_1", "data->>'name'") == "Basic (renamed)"
    assert sum(r.inserted + r.updated for r in load(account).values()) == 0


def test_two_changes_to_one_object_in_one_second_keep_the_later_one(account):
    assert all_ok(load(account))
    second = now()
    first_change = subscription("sub_1", account.t0 + 40, "past_due")
    later_change = subscription("sub_1", account.t0 + 40, "canceled")
    # The later change has the lower event id: neither the id nor arrival order can tell which came last.
    save(account.store, later_change, events=(event("evt_2_first", "customer.subscription.updated", second,
                                                    first_change),
                                              event("evt_1_later", "customer.subscription.deleted", second,
                                                    later_change)))
    assert all_ok(load(account, resources=["customers"]))  # sub_1 is not listed again: only its events tell
    assert raw(account, "subscriptions", "sub_1", "status") == "canceled"


def test_an_event_rendered_in_an_older_api_version_never_overwrites_the_current_shape(account):
    assert all_ok(load(account))
    old_shape = {**invoice("in_1", account.t0 + 50, "void"), "subscription": "sub_1", "tax": 0}
    del old_shape["parent"], old_shape["total_taxes"]
    save(account.store, invoice("in_1", account.t0 + 50, "void"),
         events=(event("evt_old", "invoice.voided", now(), old_shape, api_version=OLD_VERSION),))
    assert all_ok(load(account, resources=["customers"]))  # in_1 is not listed again: only its event tells
    data = raw(account, "invoices", "in_1")
    assert data["status"] == "void" and data["parent"]["subscription_details"]["subscription"] == "sub_1"
    assert "subscription" not in data and "tax" not in data


def signed(payload: str, secret: str) -> dict[str, str]:
    at = now()
    signature = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={signature}", "Content-Type": "application/json"}


def test_two_changes_in_one_second_through_the_webhook_keep_the_later_one(account):
    assert all_ok(load(account))
    secret = "whsec_reliability_ties"
    receiver = TestClient(create_webhook_app(account.loader, secret, api_key=account.server.api_key,
                                             api_base=account.server.base_url))
    second = now()
    first_change = subscription("sub_1", account.t0 + 40, "past_due")
    later_change = subscription("sub_1", account.t0 + 40, "canceled")
    deliveries = (event("evt_wh_first", "customer.subscription.updated", second, first_change),
                  event("evt_wh_later", "customer.subscription.deleted", second, later_change))
    save(account.store, later_change, events=deliveries)
    for delivered in deliveries:
        payload = json.dumps(delivered)
        assert receiver.post("/stripe/webhooks", content=payload, headers=signed(payload, secret)).status_code == 200
    assert raw(account, "subscriptions", "sub_1", "status") == "canceled"
    old_shape = {**invoice("in_1", account.t0 + 50, "void"), "subscription": "sub_1"}
    del old_shape["parent"]
    save(account.store, invoice("in_1", account.t0 + 50, "void"))
    payload = json.dumps(event("evt_wh_old", "invoice.voided", now(), old_shape, api_version=OLD_VERSION))
    assert receiver.post("/stripe/webhooks", content=payload, headers=signed(payload, secret)).status_code == 200
    data = raw(account, "invoices", "in_1")
    assert data["status"] == "void" and "parent" in data and "subscription" not in data


# --- deletes ----------------------------------------------------------------------------------------------------

def test_a_deleted_customer_is_marked_deleted_from_its_event(account):
    assert all_ok(load(account))
    at = now()
    save(account.store, {**customer("cus_b", account.t0 + 10), "deleted": True},
         events=(event("evt_del", "customer.deleted", at, customer("cus_b", account.t0 + 10)),))
    assert all_ok(load(account))
    assert raw(account, "customers", "cus_b", "_deleted_at") is not None
    assert raw(account, "customers", "cus_a", "_deleted_at") is None


def test_a_full_refresh_reconciles_objects_stripe_deleted_without_an_event_we_saw(account):
    assert all_ok(load(account))
    save(account.store, {**customer("cus_b", account.t0 + 10), "deleted": True})  # retrieve: the deleted stub
    with connect(account.store) as conn:  # gone altogether: retrieve answers 404
        conn.execute("DELETE FROM stripe.objects WHERE id = 'prod_1'")
        conn.commit()
    assert all_ok(load(account))
    assert raw(account, "customers", "cus_b", "_deleted_at") is None  # an incremental run cannot know
    results = load(account, full_resync=True)
    assert all_ok(results)
    assert results["customers"].deleted == 1 and results["products"].deleted == 1
    assert raw(account, "customers", "cus_b", "_deleted_at") is not None
    assert raw(account, "products", "prod_1", "_deleted_at") is not None
    assert raw(account, "customers", "cus_a", "_deleted_at") is None


def test_an_older_raw_table_gets_the_deleted_column_on_the_next_load(account):
    assert all_ok(load(account))
    with connect(account.owner, autocommit=True) as conn:
        conn.execute("ALTER TABLE raw_stripe.customers DROP COLUMN _deleted_at")
    assert all_ok(load(account))
    assert raw(account, "customers", "cus_a", "_deleted_at") is None


# --- the events cursor: lookback and a gap longer than Stripe keeps events ------------------------------------

def test_an_event_listed_late_with_an_earlier_created_is_still_applied(account):
    assert all_ok(load(account, resources=["customers"]))  # subscriptions are known only through their events
    with connect(account.owner) as conn:
        cursor = conn.execute("SELECT (cursor->>'created')::bigint FROM ops.load_state"
                              " WHERE table_name = 'events'").fetchone()[0]
    assert cursor == account.t0
    late = subscription("sub_1", account.t0 + 40, "past_due")
    save(account.store, late, events=(event("evt_late", "customer.subscription.updated", account.t0 - 120, late),))
    assert all_ok(load(account, resources=["customers"]))
    assert raw(account, "subscriptions", "sub_1", "status") == "past_due"


def data_health_loads(account) -> dict[str, tuple]:
    """marts.data_health_loads as its dbt model defines it, over this warehouse's ops.load_audit."""
    env = jinja2.Environment(autoescape=False)  # noqa: S701 - SQL, not HTML

    def render(path: Path, **refs: str) -> str:
        return env.from_string(path.read_text()).render(
            config=lambda **_: "", ref=lambda name: f"({refs[name]}) AS {name}",
            source=lambda schema, table: f'"{schema}"."{table}"',
            dbt=SimpleNamespace(current_timestamp=lambda: "now()"))

    staging = render(DBT_MODELS / "staging" / "ops" / "stg_ops__load_audit.sql")
    mart = render(DBT_MODELS / "reporting" / "data_health" / "data_health_loads.sql", stg_ops__load_audit=staging)
    with connect(account.transformer) as conn:
        rows = conn.execute(f"SELECT table_name, last_status, last_error FROM ({mart}) AS m").fetchall()
    return {table: (status, error) for table, status, error in rows}


def test_an_events_gap_longer_than_stripe_keeps_forces_a_resync_with_a_warning(account, caplog):
    assert all_ok(load(account))
    month_ago = now() - 31 * 86_400
    with connect(account.owner, autocommit=True) as conn:  # the last events pass ran 31 days ago
        conn.execute("UPDATE ops.load_state SET cursor = jsonb_build_object('created', %s, 'read_at', %s)"
                     " WHERE table_name = 'events'", (month_ago, month_ago))
    # What changed meanwhile, whose events have aged out: a rename, a deleted customer.
    save(account.store, product("prod_1", account.t0 + 20, "Basic (renamed)"),
         {**customer("cus_b", account.t0 + 10), "deleted": True})
    with connect(account.owner, autocommit=True) as conn:  # and one table refuses the loader for this run
        conn.execute("ALTER TABLE raw_stripe.prices OWNER TO CURRENT_USER")
    with caplog.at_level(logging.WARNING, logger="ingestion.stripe"):
        results = load(account)
    assert {t for t, r in results.items() if not r.ok} == {"prices"}
    warnings = [r.getMessage() for r in caplog.records if "Stripe events gap" in r.getMessage()]
    assert warnings and "31.0 days ago" in warnings[0]
    assert raw(account, "products", "prod_1", "data->>'name'") == "Basic (renamed)"
    assert raw(account, "customers", "cus_b", "_deleted_at") is not None
    board = data_health_loads(account)
    assert board["events"][0] == "ok" and "Stripe events gap" in board["events"][1]
    assert board["products"][0] == "ok" and "resynced in full" in board["products"][1]

    with connect(account.owner, autocommit=True) as conn:
        conn.execute("ALTER TABLE raw_stripe.prices OWNER TO loader")
    again = load(account)  # the table that failed is still resynced; the others are done
    assert all_ok(again)
    assert again["prices"].warning and "Stripe events gap" in again["prices"].warning
    assert [t for t, r in again.items() if r.warning] == ["prices"]
    assert not [t for t, r in load(account).items() if r.warning]


def test_reelhouse_ingest_prints_the_warning_of_a_load_that_succeeded_with_one():
    from rich.console import Console

    from ingestion.common.ops import TableLoadResult
    from reelhouse.cli.ingest import print_results

    console = Console(record=True, width=400)
    print_results([TableLoadResult("stripe", "events", warning="Stripe events gap: the events were last read 31.0 days"
                                   " ago"), TableLoadResult("stripe", "charges")], console=console)
    shown = console.export_text()
    assert "ok: Stripe events gap: the events were last read 31.0 days ago" in shown


# --- 429 storms without Retry-After -----------------------------------------------------------------------------

class FakeTime:
    """The policy's clock and sleep: a storm of many minutes is ridden out in no time."""

    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_a_429_storm_without_retry_after_is_ridden_out_within_the_budget(account, caplog):
    fake = FakeTime()
    policy = RetryPolicy(budget_seconds=900, base_delay=0.5, max_delay=30, sleep=fake.sleep, clock=fake.clock,
                         jitter=random.Random(7).random)
    account.server.faults.rate_limited, account.server.faults.retry_after = 20, None  # no usable Retry-After
    with caplog.at_level(logging.INFO, logger="ingestion.stripe"):
        results = load(account, resources=["customers"], policy=policy)
    assert all_ok(results) and account.server.faults.rate_limited == 0
    assert len(fake.sleeps) == 20 and sum(fake.sleeps) > 60  # far longer than the old ~16 s of retries
    assert max(fake.sleeps) <= 30 and len({round(s, 3) for s in fake.sleeps[-10:]}) > 1  # capped, jittered
    answered = [r.getMessage() for r in caplog.records if "answered after" in r.getMessage()]
    assert answered == [f"Stripe answered after 21 attempts, {sum(fake.sleeps):.1f}s of waiting"]


def test_a_429_storm_longer_than_the_budget_fails_saying_how_long_it_waited(account):
    fake = FakeTime()
    policy = RetryPolicy(budget_seconds=120, base_delay=0.5, max_delay=30, sleep=fake.sleep, clock=fake.clock,
                         jitter=lambda: 1.0)
    account.server.faults.rate_limited, account.server.faults.retry_after = 10_000, None
    try:
        results = load(account, resources=["customers"], policy=policy)
    finally:
        account.server.faults.rate_limited = 0
    error = results["customers"].error
    assert results["customers"].status == "failed" and "HTTP 429" in error and "retry budget 120s" in error
    waited = float(re.search(r", ([\d.]+)s of it waiting", error).group(1))
    assert 60 < waited <= 120  # far past the old ~16 s, never past the budget


def test_the_retry_budget_comes_from_its_setting_which_is_validated(monkeypatch):
    from reelhouse.config import get_settings
    from reelhouse.errors import ReelhouseError

    try:
        for bad in ("soon", "0", "86400", "nan"):
            monkeypatch.setenv("STRIPE_RETRY_BUDGET_SECONDS", bad)
            get_settings.cache_clear()
            with pytest.raises(ReelhouseError, match="STRIPE_RETRY_BUDGET_SECONDS"):
                get_settings()
        monkeypatch.setenv("STRIPE_RETRY_BUDGET_SECONDS", "90")
        get_settings.cache_clear()
        assert RetryPolicy().budget() == 90 and RetryPolicy(budget_seconds=5).budget() == 5
    finally:
        monkeypatch.delenv("STRIPE_RETRY_BUDGET_SECONDS")
        get_settings.cache_clear()
