"""Two things a real Stripe account has that the loader must complete: discounts (Stripe lists none; a subscription
carries discount ids) with their coupons, and invoices with more lines than Stripe embeds (the first 10). Each test
crafts a small account in the pinned version's shapes, serves it with the local Stripe-compatible server (which
embeds 10 lines and pages the rest at GET /v1/invoices/<id>/lines, as Stripe does) and runs the real loader, or the
webhook receiver, through the official SDK into a scratch warehouse."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from ingestion.stripe import RetryPolicy, load_stripe
from ingestion.stripe.version import STRIPE_API_VERSION
from reelhouse.warehouse import connect

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
SECRET = "whsec_discounts_and_lines"
LINES = 150  # 10 embedded, then two pages of the lines endpoint (100 + 40)


def now() -> int:
    return int(time.time())


def customer(cid: str, created: int, **extra) -> dict:
    return {"id": cid, "object": "customer", "created": created, "email": f"{cid}@example.com", "name": cid,
            "livemode": False, "metadata": {}, "currency": "usd", **extra}


def coupon(cid: str, created: int, percent_off: float | None = None, amount_off: int | None = None) -> dict:
    return {"id": cid, "object": "coupon", "created": created, "percent_off": percent_off, "amount_off": amount_off,
            "currency": "usd" if amount_off else None, "duration": "forever", "duration_in_months": None,
            "livemode": False, "metadata": {}, "name": cid, "valid": True, "times_redeemed": 1}


def discount(did: str, start: int, coupon_id: str, subscription: str | None, customer_id: str = "cus_a") -> dict:
    return {"id": did, "object": "discount", "start": start, "end": None, "customer": customer_id,
            "subscription": subscription, "subscription_item": None, "invoice": None, "invoice_item": None,
            "checkout_session": None, "customer_account": None, "promotion_code": None,
            "source": {"type": "coupon", "coupon": coupon_id}}


def subscription(sid: str, created: int, discounts: list[str], customer_id: str = "cus_a") -> dict:
    return {"id": sid, "object": "subscription", "created": created, "customer": customer_id, "status": "active",
            "currency": "usd", "livemode": False, "cancel_at_period_end": False, "discounts": discounts,
            "items": {"object": "list", "has_more": False, "url": f"/v1/subscription_items?subscription={sid}",
                      "data": [{"id": f"si_{sid}", "object": "subscription_item", "current_period_start": created,
                                "current_period_end": created + 30 * 86_400}]}}


def line(invoice_id: str, n: int, start: int) -> dict:
    return {"id": f"il_{invoice_id}_{n:03d}", "object": "line_item", "invoice": invoice_id, "amount": 100 + n,
            "currency": "usd", "livemode": False, "quantity": 1, "discountable": True, "discount_amounts": [],
            "taxes": [], "period": {"start": start, "end": start + 30 * 86_400},
            "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                       "subscription_item_details": {"subscription": "sub_1", "subscription_item": f"si_{n}",
                                                     "proration": False, "invoice_item": None}},
            "pricing": {"type": "price_details", "unit_amount_decimal": str(100 + n),
                        "price_details": {"price": f"price_{n}", "product": "prod_1"}}}


def invoice(iid: str, created: int, status: str, lines: int) -> dict:
    data = [line(iid, n, created) for n in range(lines)]
    return {"id": iid, "object": "invoice", "created": created, "customer": "cus_a", "status": status,
            "currency": "usd", "livemode": False, "total": sum(item["amount"] for item in data),
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"subscription": "sub_1", "metadata": {}}}, "total_taxes": [],
            "lines": {"object": "list", "data": data, "has_more": False, "url": f"/v1/invoices/{iid}/lines"}}


def event(eid: str, kind: str, created: int, obj: dict) -> dict:
    return {"id": eid, "object": "event", "type": kind, "created": created, "api_version": STRIPE_API_VERSION,
            "data": {"object": obj}, "livemode": False, "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None}}


def save(store: str, *objects: dict, events: tuple[dict, ...] = ()) -> None:
    from demo.stripe_world.store import save as save_objects

    with connect(store) as conn:
        save_objects(conn, objects, events)
        conn.commit()


@pytest.fixture()
def account(fresh_database, scratch_warehouse, request):
    """A customer, a coupon, a subscription with that coupon's discount, and an invoice of LINES lines, served
    locally; and an empty warehouse."""
    from demo.stripe_world.background import running_stripe_server
    from demo.stripe_world.store import ensure_schema

    name = hashlib.md5(request.node.name.encode()).hexdigest()[:10]
    store = fresh_database(f"dl_{name}")
    t0 = now() - 3 * 3600
    with connect(store) as conn:
        ensure_schema(conn)
        conn.commit()
    save(store, customer("cus_a", t0), coupon("LAUNCH20", t0 + 5, percent_off=20.0),
         coupon("FRIENDS5", t0 + 6, amount_off=500), subscription("sub_1", t0 + 10, ["di_1"]),
         discount("di_1", t0 + 10, "LAUNCH20", "sub_1"), subscription("sub_2", t0 + 20, []),
         invoice("in_many", t0 + 30, "open", LINES), invoice("in_few", t0 + 40, "paid", 3))
    warehouse = scratch_warehouse(f"dlw_{name}")
    with running_stripe_server(store) as server:
        yield SimpleNamespace(store=store, server=server, t0=t0, **warehouse)


def load(account, **kwargs) -> dict:
    results = load_stripe(account.server.api_key, account.server.base_url, account.loader,
                          **{"policy": FAST, **kwargs})
    failed = {r.table: r.error for r in results if not r.ok}
    assert not failed, failed
    return {r.table: r for r in results}


def rows(account, sql: str, *args) -> list[tuple]:
    with connect(account.owner) as conn:
        return conn.execute(sql, args).fetchall()


def raw_lines(account, invoice_id: str) -> tuple[list[str], bool, str]:
    (data,) = rows(account, "SELECT data FROM raw_stripe.invoices WHERE id = %s", invoice_id)[0]
    return [item["id"] for item in data["lines"]["data"]], data["lines"]["has_more"], data["status"]


def signed(payload: str) -> dict[str, str]:
    at = int(time.time())
    signature = hmac.new(SECRET.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={signature}", "Content-Type": "application/json"}


# --- invoices with more lines than Stripe embeds ------------------------------------------------------------------

def test_an_invoice_with_more_lines_than_stripe_embeds_lands_with_all_of_them(account):
    """Stripe (and the demo server) embeds 10 of in_many's 150 lines with has_more: the loader read only those,
    so 140 lines, and the MRR and revenue they carry, never reached staging. Now the rest come from the invoice's
    lines endpoint, in Stripe's order, whether the invoice is listed, or changed by an event whose object is cut
    to 10 lines (then retrieved whole), and a full refresh keeps them."""
    expected = [f"il_in_many_{n:03d}" for n in range(LINES)]
    load(account)
    assert raw_lines(account, "in_many") == (expected, False, "open")
    assert raw_lines(account, "in_few") == ([f"il_in_few_{n:03d}" for n in range(3)], False, "paid")

    paid = {**invoice("in_many", account.t0 + 30, "paid", LINES)}
    save(account.store, paid, events=(event("evt_many_paid", "invoice.paid", now() - 60, paid),))
    load(account)
    assert raw_lines(account, "in_many") == (expected, False, "paid")
    load(account, full_resync=True)
    assert raw_lines(account, "in_many") == (expected, False, "paid")
    assert rows(account, "SELECT count(*) FROM raw_stripe.invoices WHERE (data #>> '{lines,has_more}')::boolean")[0] \
        == (0,)


def test_the_webhook_receiver_lands_an_invoice_with_all_its_lines(account):
    from ingestion.stripe.webhooks import create_webhook_app

    load(account)
    voided = invoice("in_many", account.t0 + 30, "void", LINES)
    save(account.store, voided)
    cut = {**voided, "lines": {**voided["lines"], "data": voided["lines"]["data"][:10], "has_more": True}}
    payload = json.dumps(event("evt_many_void", "invoice.voided", now() - 5, cut))
    app = create_webhook_app(account.loader, SECRET, api_key=account.server.api_key, api_base=account.server.base_url,
                             policy=FAST)
    with TestClient(app) as client:
        answer = client.post("/stripe/webhooks", content=payload, headers=signed(payload))
    assert answer.status_code == 200, answer.text
    assert raw_lines(account, "in_many") == ([f"il_in_many_{n:03d}" for n in range(LINES)], False, "void")


# --- discounts and coupons ----------------------------------------------------------------------------------------

def test_coupons_are_listed_and_a_subscriptions_discount_lands_in_its_own_table(account):
    """Coupons are a listed resource; a subscription's `discounts` are ids, the discount objects (expanded in the
    subscriptions listing) land in raw_stripe.discounts, unexpanded themselves (source.coupon an id), and the
    subscription keeps the ids, exactly as its events carry it."""
    results = load(account)
    assert results["coupons"].inserted == 2
    assert rows(account, "SELECT id, amount, data->>'percent_off' FROM raw_stripe.coupons ORDER BY id") == [
        ("FRIENDS5", 500, None), ("LAUNCH20", None, "20.0")]
    assert rows(account, "SELECT id, data->'discounts' FROM raw_stripe.subscriptions ORDER BY id") == [
        ("sub_1", ["di_1"]), ("sub_2", [])]
    (di_1,) = rows(account, "SELECT id, created, customer, data, _deleted_at FROM raw_stripe.discounts")
    assert di_1[:3] == ("di_1", rows(account, "SELECT to_timestamp(%s)", account.t0 + 10)[0][0], "cus_a")
    assert di_1[3] == discount("di_1", account.t0 + 10, "LAUNCH20", "sub_1") and di_1[4] is None
    again = load(account)
    assert sum(r.inserted + r.updated + r.deleted for r in again.values()) == 0


def test_discount_events_add_change_and_take_off_discounts(account):
    """customer.discount.* events carry a Discount: created and updated ones land, a deleted one sets _deleted_at;
    a discount on a customer (no subscription) lands too. Two events about one discount in one second cannot be
    ordered: Stripe cannot retrieve a discount, so it is read from its subscription (expand[]=discounts)."""
    load(account)
    at = now() - 120
    di_2 = discount("di_2", at, "FRIENDS5", "sub_2")
    di_c = discount("di_c", at, "LAUNCH20", None)
    sub_2 = subscription("sub_2", account.t0 + 20, ["di_2"])
    save(account.store, di_2, sub_2, di_c, events=(
        event("evt_d1", "customer.discount.created", at, di_2),
        event("evt_d2", "customer.discount.updated", at, {**di_2, "end": at + 86_400}),  # same second: retrieved
        event("evt_d3", "customer.discount.created", at, di_c),
        event("evt_d4", "customer.discount.deleted", at + 30, discount("di_1", account.t0 + 10, "LAUNCH20", "sub_1")),
    ))
    results = load(account)
    landed = {row[0]: row[1:] for row in rows(
        account, "SELECT id, data->'source'->>'coupon', data->>'subscription', _deleted_at IS NOT NULL"
        " FROM raw_stripe.discounts")}
    assert landed == {"di_1": ("LAUNCH20", "sub_1", True), "di_2": ("FRIENDS5", "sub_2", False),
                      "di_c": ("LAUNCH20", None, False)}
    # di_2 was read from its subscription as Stripe holds it now (end null), not from either tied event
    assert rows(account, "SELECT data->'end' FROM raw_stripe.discounts WHERE id = 'di_2'") == [(None,)]
    assert results["events"].deleted >= 1


def test_a_subscription_version_without_a_discount_takes_it_off(account):
    """A discount removed without an event we saw: the next version of its subscription (an event's object, a
    listing or a retrieve) no longer lists it, so it is marked deleted as of that version."""
    load(account)
    at = now() - 60
    bare = subscription("sub_1", account.t0 + 10, [])
    save(account.store, bare, events=(event("evt_sub_1", "customer.subscription.updated", at, bare),))
    load(account)
    assert rows(account, "SELECT extract(epoch FROM _deleted_at)::bigint FROM raw_stripe.discounts"
                         " WHERE id = 'di_1'") == [(at,)]


def test_a_full_refresh_takes_off_a_discount_its_subscription_no_longer_has(account):
    load(account)
    with connect(account.store) as conn:  # changed in Stripe with no event we read
        conn.execute("UPDATE stripe.objects SET data = jsonb_set(data, '{discounts}', '[]') WHERE id = 'sub_1'")
        conn.commit()
    load(account)
    assert rows(account, "SELECT _deleted_at IS NULL FROM raw_stripe.discounts WHERE id = 'di_1'") == [(True,)]
    results = load(account, full_resync=True)
    assert rows(account, "SELECT _deleted_at IS NOT NULL FROM raw_stripe.discounts WHERE id = 'di_1'") == [(True,)]
    assert results["subscriptions"].deleted == 1
