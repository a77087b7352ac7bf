"""The webhook receiver: Stripe's signature scheme verified by the SDK, events stored once, objects updated."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

import pytest
from starlette.testclient import TestClient

from ingestion.stripe.version import STRIPE_API_VERSION
from ingestion.stripe.webhooks import MAX_BODY_BYTES, create_webhook_app
from reelhouse.warehouse import connect

SECRET = "whsec_test_reelhouse_endpoint"


def signed(payload: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """The header Stripe sends: t=<unix time>,v1=<HMAC-SHA256 of "t.payload" with the endpoint secret>."""
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={signature}", "Content-Type": "application/json"}


def event(event_id: str, status: str, at: int, **subscription_fields) -> str:
    """An event in the pinned version about one subscription (merged as it is: no retrieve needed)."""
    subscription = {"id": "sub_webhook_1", "object": "subscription", "created": 1_790_000_000, "status": status,
                    "customer": "cus_webhook", "currency": "usd", "livemode": False, **subscription_fields}
    return json.dumps({"id": event_id, "object": "event", "type": "customer.subscription.updated",
                       "api_version": STRIPE_API_VERSION, "created": at, "data": {"object": subscription},
                       "livemode": False})


def stored_events(warehouse: dict) -> int:
    with connect(warehouse["owner"]) as conn:
        exists = conn.execute("SELECT to_regclass('raw_stripe.events')").fetchone()[0]
        return conn.execute("SELECT count(*) FROM raw_stripe.events").fetchone()[0] if exists else 0


@pytest.fixture()
def receiver(scratch_warehouse):
    warehouse = scratch_warehouse("webhook_warehouse")
    return TestClient(create_webhook_app(warehouse["loader"], SECRET)), warehouse


def test_verified_events_are_stored_once_and_update_the_object(receiver):
    client, warehouse = receiver
    now = int(time.time())
    first = event("evt_wh_1", "active", now - 60)
    assert client.post("/stripe/webhooks", content=first, headers=signed(first)).json() == {
        "received": True, "duplicate": False}
    again = client.post("/stripe/webhooks", content=first, headers=signed(first))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    later = event("evt_wh_2", "canceled", now)
    assert client.post("/stripe/webhooks", content=later, headers=signed(later)).status_code == 200
    with connect(warehouse["owner"]) as conn:
        events = conn.execute("SELECT count(*) FROM raw_stripe.events").fetchone()[0]
        status = conn.execute("SELECT status FROM raw_stripe.subscriptions WHERE id = 'sub_webhook_1'").fetchone()[0]
    assert events == 2 and status == "canceled"


@pytest.mark.parametrize(
    "headers",
    [
        lambda p: signed(p, secret="whsec_someone_else"),
        lambda p: signed(p, at=int(time.time()) - 301),
        lambda p: signed(p, at=int(time.time()) + 400),
        lambda p: {"Content-Type": "application/json"},
    ],
    ids=["wrong secret", "older than the 300 s tolerance", "400 s in the future", "no signature"],
)
def test_bad_signatures_get_400_and_store_nothing(receiver, headers):
    client, warehouse = receiver
    payload = event("evt_wh_bad", "active", int(time.time()))
    response = client.post("/stripe/webhooks", content=payload, headers=headers(payload))
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad signature") and "\n" not in response.json()["error"]
    assert stored_events(warehouse) == 0


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"hello": "world"}', 'no "object": "event"'),
        ("[1, 2, 3]", 'no "object": "event"'),
        ("not json at all", "not JSON"),
        (json.dumps({"id": "evt_x", "object": "event", "type": "charge.succeeded", "created": 1}), "no data.object"),
        (event("evt_no_created", "active", int(time.time()), created=None), "sub_webhook_1 has no created"),
    ],
    ids=["an object that is not an event", "a list", "not JSON", "no data.object", "an object without created"],
)
def test_a_signed_body_that_is_not_a_usable_event_gets_400_in_one_line(receiver, body, says):
    client, warehouse = receiver
    response = client.post("/stripe/webhooks", content=body, headers=signed(body))
    assert response.status_code == 400
    error = response.json()["error"]
    assert says in error and "\n" not in error and "Traceback" not in response.text
    assert stored_events(warehouse) == 0


def test_a_body_over_the_size_limit_gets_413_without_being_read(receiver):
    client, warehouse = receiver
    padding = "x" * (MAX_BODY_BYTES + 1)
    payload = event("evt_wh_huge", "active", int(time.time()), metadata={"padding": padding})
    response = client.post("/stripe/webhooks", content=payload, headers=signed(payload))
    assert response.status_code == 413 and "limit" in response.json()["error"]

    # No Content-Length (chunked): the limit applies as the body streams in, and the rest is never read.
    app, chunk, offered = client.app, b"x" * 65_536, 100
    read, answers = [], []

    async def receive() -> dict:
        read.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": len(read) < offered}

    async def send(message: dict) -> None:
        answers.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/stripe/webhooks", "raw_path": b"/stripe/webhooks", "root_path": "", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in signed(payload).items()],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    assert answers[0]["status"] == 413
    assert sum(read) <= MAX_BODY_BYTES + len(chunk) < offered * len(chunk)
    assert stored_events(warehouse) == 0


def test_an_event_whose_object_has_no_id_is_stored_and_changes_no_table(receiver):
    client, warehouse = receiver
    upcoming = {"object": "invoice", "created": int(time.time()), "customer": "cus_webhook", "total": 2000,
                "currency": "usd", "status": "draft", "livemode": False}
    payload = json.dumps({"id": "evt_wh_upcoming", "object": "event", "type": "invoice.upcoming",
                          "api_version": STRIPE_API_VERSION, "created": int(time.time()),
                          "data": {"object": upcoming}, "livemode": False})
    response = client.post("/stripe/webhooks", content=payload, headers=signed(payload))
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    with connect(warehouse["owner"]) as conn:
        invoices = conn.execute("SELECT count(*) FROM raw_stripe.invoices").fetchone()[0]
    assert stored_events(warehouse) == 1 and invoices == 0
