"""The local Stripe-compatible server, exercised through the official `stripe` SDK as production code would."""

from __future__ import annotations

import httpx
import pytest
import stripe

from demo.stripe_world import sync_stripe_world
from demo.stripe_world.background import running_stripe_server
from reelhouse.warehouse import connect


@pytest.fixture(scope="module")
def server(demo_world):
    with running_stripe_server(demo_world["stripe_url"]) as running:
        yield running


@pytest.fixture()
def client(server):
    server.faults.rate_limited = server.faults.server_errors = 0
    server.faults.delay_seconds = 0
    return stripe.StripeClient(server.api_key, base_addresses={"api": server.base_url}, max_network_retries=3)


def count(store_url: str, object_type: str) -> int:
    with connect(store_url) as conn:
        return conn.execute("SELECT count(*) FROM stripe.objects WHERE object_type = %s", (object_type,)).fetchone()[0]


def test_auto_pagination_returns_every_object_once_newest_first(client, demo_world):
    total = count(demo_world["stripe_url"], "charge")
    assert total > 150, "the test world must need more than one page of 100"
    charges = list(client.v1.charges.list(params={"limit": 100}).auto_paging_iter())
    ids = [charge.id for charge in charges]
    assert len(ids) == total == len(set(ids))
    keys = [(charge.created, charge.id) for charge in charges]
    assert keys == sorted(keys, reverse=True)


def test_limit_above_100_is_stripes_invalid_request_error(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list(params={"limit": 101})
    assert caught.value.http_status == 400 and caught.value.param == "limit"


def test_created_filters_partition_the_list(client):
    everything = list(client.v1.events.list(params={"limit": 100}).auto_paging_iter())
    middle = sorted(e.created for e in everything)[len(everything) // 2]
    before = list(client.v1.events.list(params={"limit": 100, "created": {"lt": middle}}).auto_paging_iter())
    after = list(client.v1.events.list(params={"limit": 100, "created": {"gte": middle}}).auto_paging_iter())
    assert before and after
    assert len(before) + len(after) == len(everything)
    assert all(e.created < middle for e in before) and all(e.created >= middle for e in after)


def test_starting_after_and_ending_before_are_consistent_cursors(client):
    first = client.v1.customers.list(params={"limit": 5})
    second = client.v1.customers.list(params={"limit": 5, "starting_after": first.data[-1].id})
    back = client.v1.customers.list(params={"limit": 5, "ending_before": second.data[0].id})
    assert first.has_more
    assert not {c.id for c in first.data} & {c.id for c in second.data}
    assert [c.id for c in back.data] == [c.id for c in first.data]


def test_expand_replaces_ids_with_objects(client):
    params = {"limit": 1, "status": "all", "expand": ["data.customer"]}
    subscription = client.v1.subscriptions.list(params=params).data[0]
    assert subscription.customer.object == "customer" and subscription.customer.email
    charge = next(c for c in client.v1.charges.list(params={"limit": 20}).data if c.status == "succeeded")
    expanded = client.v1.charges.retrieve(charge.id, params={"expand": ["balance_transaction"]})
    assert expanded.balance_transaction.object == "balance_transaction"
    assert expanded.balance_transaction.amount == charge.amount


def test_subscription_status_filter_defaults_to_not_canceled(client):
    default = list(client.v1.subscriptions.list(params={"limit": 100}).auto_paging_iter())
    every = list(client.v1.subscriptions.list(params={"limit": 100, "status": "all"}).auto_paging_iter())
    canceled = [s for s in every if s.status == "canceled"]
    assert canceled and len(default) == len(every) - len(canceled)
    assert all(s.status != "canceled" for s in default)


def test_bad_key_is_401_and_the_key_is_masked(server):
    wrong = "sk_test_thisisnotthekey9876"
    with pytest.raises(stripe.AuthenticationError) as caught:
        stripe.StripeClient(wrong, base_addresses={"api": server.base_url}).v1.customers.list()
    assert caught.value.http_status == 401
    assert wrong not in str(caught.value) and "9876" in str(caught.value)


def test_unknown_id_is_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.retrieve("in_doesnotexist")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"


def test_server_errors_are_retried_by_the_sdk(client, server):
    server.faults.server_errors = 2
    seen = server.faults.requests_seen
    assert client.v1.products.list(params={"limit": 3}).data
    assert server.faults.requests_seen - seen == 3


def test_rate_limit_answers_429_with_retry_after(client, server):
    server.faults.rate_limited, server.faults.retry_after = 1, 2.5
    response = httpx.get(f"{server.base_url}/v1/customers", headers={"Authorization": f"Bearer {server.api_key}"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "2.5"
    assert response.json()["error"]["code"] == "rate_limit"
    server.faults.rate_limited = 1
    with pytest.raises(stripe.RateLimitError):  # the SDK does not retry 429 by itself: ingestion must
        stripe.StripeClient(server.api_key, base_addresses={"api": server.base_url}).v1.customers.list()


def test_sync_is_idempotent_and_matches_the_app_ledger(demo_world, client):
    again = sync_stripe_world(demo_world["app_url"], demo_world["stripe_url"])
    assert "(0 new or changed), 0 new events" in again
    with connect(demo_world["app_url"]) as app:
        purchase_cents = app.execute(
            "SELECT sum(amount_usd_cents) FROM credit_transactions WHERE type = 'purchase'").fetchone()[0]
        paying_users = app.execute(
            "SELECT count(DISTINCT user_id) FROM credit_transactions WHERE amount_usd_cents > 0").fetchone()[0]
    charges = list(client.v1.charges.list(params={"limit": 100}).auto_paging_iter())
    pack_cents = sum(c.amount for c in charges if "pack_id" in c.metadata and c.status == "succeeded")
    customers = list(client.v1.customers.list(params={"limit": 100}).auto_paging_iter())
    deleted = [e.data.object for e in client.v1.events.list(params={"limit": 100, "type": "customer.deleted"})
               .auto_paging_iter()]
    assert pack_cents == purchase_cents
    assert deleted, "the demo account must have deleted customers (not listed any more)"
    assert not {c.id for c in customers} & {c.id for c in deleted}
    every = customers + deleted  # a user whose customer was deleted and who paid again has two
    assert len({c.metadata["user_id"] for c in every}) == paying_users


# --- the pinned API version ------------------------------------------------------------------------------------

def test_the_sdk_asks_for_the_accounts_version_and_the_server_answers_in_it(client, server):
    from demo.stripe_world.derive import API_VERSION

    response = httpx.get(f"{server.base_url}/v1/customers", headers={"Authorization": f"Bearer {server.api_key}"})
    assert response.status_code == 200 and response.headers["Stripe-Version"] == API_VERSION  # no header: default
    pinned = httpx.get(f"{server.base_url}/v1/customers",
                       headers={"Authorization": f"Bearer {server.api_key}", "Stripe-Version": API_VERSION})
    assert pinned.status_code == 200 and pinned.json() == response.json()
    assert client.v1.customers.list(params={"limit": 1}).data  # the SDK sends its own (pinned) version


@pytest.mark.parametrize("version", ["2024-06-20", "2025-03-31.basil", "not-a-version"])
def test_a_version_the_account_does_not_speak_is_refused_with_stripes_error(server, version):
    response = httpx.get(f"{server.base_url}/v1/invoices/in_any",
                         headers={"Authorization": f"Bearer {server.api_key}", "Stripe-Version": version})
    error = response.json()["error"]
    assert response.status_code == 400 and error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Invalid Stripe API version: {version}.") and "2026-10-28.endive" in error[
        "message"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.StripeClient(server.api_key, base_addresses={"api": server.base_url},
                            stripe_version=version).v1.customers.list()
    assert caught.value.http_status == 400 and "Invalid Stripe API version" in str(caught.value)


def test_an_unknown_list_parameter_is_refused_as_stripe_does(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.charges.list(params={"limit": 1, "invoice": "in_x"})  # charge.invoice is gone: no such filter
    assert caught.value.http_status == 400 and caught.value.code == "parameter_unknown"
    assert caught.value.param == "invoice"


# --- a crafted account: invoice payments and deleted customers ----------------------------------------------------

def _customer(cid: str, created: int, **extra) -> dict:
    return {"id": cid, "object": "customer", "created": created, "email": f"{cid}@example.com", "name": cid,
            "livemode": False, "metadata": {}, **extra}


def _invoice_payment(ipid: str, invoice: str, intent: str, created: int, status: str = "paid") -> dict:
    return {"id": ipid, "object": "invoice_payment", "created": created, "invoice": invoice, "amount_paid": 500,
            "amount_requested": 500, "currency": "usd", "is_default": True, "livemode": False, "status": status,
            "payment": {"type": "payment_intent", "payment_intent": intent},
            "status_transitions": {"paid_at": created, "canceled_at": None}}


@pytest.fixture(scope="module")
def crafted(fresh_database):
    from demo.stripe_world.store import ensure_schema, save

    url = fresh_database("stripe_server_crafted")
    gone = _customer("cus_gone", 1_000)
    event = {"id": "evt_gone", "object": "event", "api_version": "2026-10-28.endive", "created": 2_000,
             "type": "customer.deleted", "data": {"object": gone}, "livemode": False, "pending_webhooks": 0,
             "request": {"id": None, "idempotency_key": None}}
    with connect(url) as conn:
        ensure_schema(conn)
        save(conn, [_customer("cus_kept", 1_001), {**gone, "deleted": True},
                    _invoice_payment("inpay_1", "in_1", "pi_1", 1_100),
                    _invoice_payment("inpay_2", "in_2", "pi_2", 1_200),
                    _invoice_payment("inpay_3", "in_2", "pi_3", 1_300, status="open")], [event])
        conn.commit()
    with running_stripe_server(url) as running:
        yield stripe.StripeClient(running.api_key, base_addresses={"api": running.base_url}), running


def test_deleted_customers_are_not_listed_and_retrieve_answers_the_deleted_stub(crafted):
    client, server = crafted
    assert [c.id for c in client.v1.customers.list().data] == ["cus_kept"]
    gone = client.v1.customers.retrieve("cus_gone")
    assert gone.to_dict() == {"id": "cus_gone", "object": "customer", "deleted": True}
    event = client.v1.events.retrieve("evt_gone")
    assert event.type == "customer.deleted" and event.data.object.email == "cus_gone@example.com"


def test_invoice_payments_list_and_retrieve_with_stripes_filters(crafted):
    client, _ = crafted
    every = client.v1.invoice_payments.list()
    assert [p.id for p in every.data] == ["inpay_3", "inpay_2", "inpay_1"]
    assert [p.id for p in client.v1.invoice_payments.list(params={"invoice": "in_2"}).data] == ["inpay_3", "inpay_2"]
    by_intent = client.v1.invoice_payments.list(params={"payment": {"type": "payment_intent",
                                                                    "payment_intent": "pi_1"}})
    assert [p.id for p in by_intent.data] == ["inpay_1"]
    assert [p.id for p in client.v1.invoice_payments.list(params={"status": "open"}).data] == ["inpay_3"]
    one = client.v1.invoice_payments.retrieve("inpay_2")
    assert one.invoice == "in_2" and one.payment.payment_intent == "pi_2"


# --- the derived account's shapes (the covering scenario: one of every case) --------------------------------------

@pytest.fixture(scope="module")
def account():
    from demo.stripe_world.derive import build_account
    from demo.stripe_world.scenario import covering_scenario

    built = covering_scenario()
    objects, events = build_account(built.users, built.facts, built.now)
    by_type: dict[str, list[dict]] = {}
    for obj in objects:
        by_type.setdefault(obj["object"], []).append(obj)
    return {"scenario": built, "objects": {o["id"]: o for o in objects}, "by_type": by_type, "events": events}


START = 1_767_225_600 + 280 * 86_400  # demo/stripe_world/scenario.py's START


def _subscription_of(account, role: str) -> dict:
    user_id = str(account["scenario"].who[role])
    return next(s for s in account["by_type"]["subscription"] if s["metadata"]["user_id"] == user_id)


def _invoices_of(account, subscription_id: str) -> list[dict]:
    invoices = [i for i in account["by_type"]["invoice"]
                if i["parent"]["subscription_details"]["subscription"] == subscription_id]
    return sorted(invoices, key=lambda i: i["created"])


def test_every_invoice_adds_up_and_links_to_its_payment_through_an_invoice_payment(account):
    objects = account["objects"]
    payments = {p["invoice"]: p for p in account["by_type"]["invoice_payment"]}
    for invoice in account["by_type"]["invoice"]:
        lines = invoice["lines"]["data"]
        discount = sum(d["amount"] for line in lines for d in line["discount_amounts"])
        tax = sum(t["amount"] for line in lines for t in line["taxes"])
        assert invoice["subtotal"] == sum(line["amount"] for line in lines)
        assert invoice["total"] == invoice["subtotal"] - discount + tax
        assert sum(t["amount"] for t in invoice["total_taxes"]) == tax
        assert not {"subscription", "charge", "paid", "tax", "payment_intent"} & invoice.keys()
        assert all(objects[line["pricing"]["price_details"]["price"]]["object"] == "price" for line in lines)
        payment = payments[invoice["id"]]
        intent = objects[payment["payment"]["payment_intent"]]
        assert payment["amount_requested"] == invoice["amount_due"] == intent["amount"]
        if invoice["status"] == "paid":
            charge = objects[intent["latest_charge"]]
            assert payment["status"] == "paid" and payment["amount_paid"] == invoice["amount_paid"] == charge["amount"]
            assert charge["status"] == "succeeded" and charge["payment_intent"] == intent["id"]
    assert all("invoice" not in charge for charge in account["by_type"]["charge"])
    assert len(payments) == len(account["by_type"]["invoice"])


def test_a_mid_year_upgrade_credits_the_unused_time_first_then_bills_the_new_period(account):
    subscription = _subscription_of(account, "annual_upgrade")
    created, upgrade = _invoices_of(account, subscription["id"])
    assert upgrade["billing_reason"] == "subscription_update"
    credit, new_period = upgrade["lines"]["data"]
    credit_details = credit["parent"]["subscription_item_details"]
    assert credit_details["proration"] is True and credit["amount"] < 0 and credit["discountable"] is False
    assert credit_details["proration_details"]["credited_items"] == {
        "invoice": created["id"], "invoice_line_items": [created["lines"]["data"][0]["id"]]}
    assert credit["pricing"]["price_details"]["price"] == "price_pro_yearly"
    assert credit["discount_amounts"] == [{"amount": 0, "discount": subscription["discounts"][0]}]
    paid_net = created["lines"]["data"][0]["amount"] - created["lines"]["data"][0]["discount_amounts"][0]["amount"]
    assert -credit["amount"] == round(paid_net * (credit["period"]["end"] - credit["period"]["start"])
                                      / (365 * 86_400))
    assert new_period["parent"]["subscription_item_details"]["proration"] is False
    assert new_period["pricing"]["price_details"]["price"] == "price_business_yearly"
    assert new_period["period"]["start"] == upgrade["created"] == subscription["billing_cycle_anchor"]
    assert new_period["taxes"] and credit["taxes"][0]["amount"] < 0


def test_subscription_periods_live_on_items_and_cancellations_keep_stripes_dates(account):
    for subscription in account["by_type"]["subscription"]:
        assert not {"current_period_start", "current_period_end", "discount", "plan"} & subscription.keys()
        item = subscription["items"]["data"][0]
        assert item["current_period_end"] > item["current_period_start"]
        assert item["price"]["unit_amount_decimal"] == str(item["price"]["unit_amount"])
    upgraded = _subscription_of(account, "annual_upgrade")
    assert upgraded["status"] == "active" and upgraded["cancel_at_period_end"] is True
    assert upgraded["cancel_at"] == upgraded["items"]["data"][0]["current_period_end"]
    assert upgraded["canceled_at"] == START + 70 * 86_400  # when the user went back to the free plan
    reactivated = _subscription_of(account, "annual_downgrade")
    assert reactivated["status"] == "active" and reactivated["cancel_at_period_end"] is False
    assert reactivated["items"]["data"][0]["price"]["id"] == "price_pro_yearly"
    assert [i["billing_reason"] for i in _invoices_of(account, reactivated["id"])] == ["subscription_create"]
    dunned = _subscription_of(account, "dunning")
    assert dunned["status"] == "canceled" and dunned["cancellation_details"]["reason"] == "payment_failed"
    assert dunned["ended_at"] == dunned["items"]["data"][0]["current_period_end"] + 3 * 86_400
    renewed = _subscription_of(account, "annual_renewal")
    first, renewal = _invoices_of(account, renewed["id"])
    assert renewal["billing_reason"] == "subscription_cycle"
    assert (renewal["period_start"], renewal["period_end"]) == (first["created"], first["created"] + 365 * 86_400)
    assert renewal["lines"]["data"][0]["period"]["start"] == renewal["created"]
    changed = _invoices_of(account, _subscription_of(account, "monthly_changes")["id"])
    assert [i["lines"]["data"][0]["pricing"]["price_details"]["price"] for i in changed] == [
        "price_pro_monthly", "price_business_monthly", "price_pro_monthly"]


def test_credit_packs_disputes_and_refunds_move_money_as_stripe_does(account):
    objects, txns = account["objects"], account["scenario"].txns
    charges = {c["metadata"].get("credit_transaction_id"): c for c in account["by_type"]["charge"]}
    invoiced_intents = {p["payment"]["payment_intent"] for p in account["by_type"]["invoice_payment"]}
    disputes = {d["charge"]: d for d in account["by_type"]["dispute"]}
    for txn in txns.values():
        charge = charges[str(txn)]
        assert charge["payment_intent"] not in invoiced_intents
        assert objects[charge["payment_intent"]]["status"] == "succeeded"
    status = {role: disputes[charges[str(txn)]["id"]] for role, txn in txns.items() if charges[str(txn)]["disputed"]}
    assert {role: d["status"] for role, d in status.items()} == {
        "lost": "lost", "won": "won", "inquiry": "warning_closed", "refunded_disputed": "warning_closed"}
    assert [(t["amount"], t["fee"], t["reporting_category"]) for t in status["lost"]["balance_transactions"]] == [
        (-800, 1500, "dispute")]
    assert sum(t["amount"] for t in status["won"]["balance_transactions"]) == 0
    assert status["inquiry"]["balance_transactions"] == status["refunded_disputed"]["balance_transactions"] == []
    assert charges[str(txns["refunded"])]["refunded"] and not charges[str(txns["plain"])]["disputed"]


def test_deleted_customers_and_a_customer_who_comes_back(account):
    who, events = account["scenario"].who, account["events"]
    customers = account["by_type"]["customer"]
    gone = [c for c in customers if c.get("deleted")]
    assert {c["metadata"]["user_id"] for c in gone} == {str(who["app_deleted"]), str(who["erased_returning"])}
    deletions = {e["data"]["object"]["id"]: e for e in events if e["type"] == "customer.deleted"}
    assert set(deletions) == {c["id"] for c in gone}
    assert all(e["data"]["object"]["email"] and "deleted" not in e["data"]["object"] for e in deletions.values())
    app_deleted = next(c for c in gone if c["metadata"]["user_id"] == str(who["app_deleted"]))
    assert deletions[app_deleted["id"]]["created"] == account["scenario"].users[who["app_deleted"]].deleted_at
    returning = [c for c in customers if c["metadata"]["user_id"] == str(who["erased_returning"])]
    assert len(returning) == 2 and sum(not c.get("deleted") for c in returning) == 1


def test_upcoming_invoice_events_have_no_id_and_every_event_is_in_the_pinned_version(account):
    upcoming = [e for e in account["events"] if e["type"] == "invoice.upcoming"]
    assert upcoming and all("id" not in e["data"]["object"] and e["data"]["object"]["billing_reason"] == "upcoming"
                            for e in upcoming)
    assert {e["api_version"] for e in account["events"]} == {"2026-10-28.endive"}
    failed = [e["data"]["object"] for e in account["events"] if e["type"] == "charge.failed"]
    retried = {c["payment_intent"] for c in account["by_type"]["charge"] if c["status"] == "succeeded"}
    assert failed and all(c["payment_intent"] in retried for c in failed)


def test_rederiving_later_never_changes_or_backdates_what_was_already_sent(account):
    """The sync is incremental: an account derived at an earlier clock is a prefix of the later one."""
    from demo.stripe_world.derive import build_account

    built = account["scenario"]
    for earlier in (built.now - 300 * 86_400, built.now - 70 * 86_400, built.now - 5 * 86_400):
        facts = [f for f in built.facts if f.created <= earlier]
        _, early_events = build_account(built.users, facts, earlier)
        later = {e["id"]: e for e in account["events"]}
        assert all(e["created"] <= earlier for e in early_events)
        assert [e for e in early_events if later.get(e["id"]) != e] == []
        assert {e["id"] for e in account["events"] if e["created"] <= earlier} == {e["id"] for e in early_events}
