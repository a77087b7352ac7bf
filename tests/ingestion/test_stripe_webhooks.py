"""The webhook receiver: Stripe's signature scheme verified by the SDK, events stored once, objects updated."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from starlette.testclient import TestClient

from ingestion.stripe.webhooks import create_webhook_app
from reelhouse.warehouse import connect

SECRET = "whsec_test_reelhouse_endpoint"


def signed(payload: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """The header Stripe sends: t=<unix time>,v1=<HMAC-SHA256 of "t.payload" with the endpoint secret>."""
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={signature}", "Content-Type": "application/json"}


def event(event_id: str, status: str, created: int) -> str:
    subscription = {"id": "sub_webhook_1", "object": "subscription", "created": 1_790_000_000, "status": status,
                    "customer": "cus_webhook", "currency": "usd", "livemode": False}
    return json.dumps({"id": event_id, "object": "event", "type": "customer.subscription.updated",
                       "created": created, "data": {"object": subscription}, "livemode": False})


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
        lambda p: {"Content-Type": "application/json"},
    ],
    ids=["wrong secret", "older than the 300 s tolerance", "no signature"],
)
def test_bad_signatures_get_400_and_store_nothing(receiver, headers):
    client, warehouse = receiver
    payload = event("evt_wh_bad", "active", int(time.time()))
    response = client.post("/stripe/webhooks", content=payload, headers=headers(payload))
    assert response.status_code == 400
    with connect(warehouse["owner"]) as conn:
        exists = conn.execute("SELECT to_regclass('raw_stripe.events')").fetchone()[0]
        stored = conn.execute("SELECT count(*) FROM raw_stripe.events").fetchone()[0] if exists else 0
    assert stored == 0
