"""Stripe webhook receiver: verified events land in raw_stripe between hourly runs (seed 002).

Each request's `Stripe-Signature` is verified by the official SDK with the endpoint secret (300 s
tolerance). A bad signature gets 400 and nothing is stored. A good event is appended to
raw_stripe.events (deduplicated by event id, so Stripe's retries and the hourly Events pass never
double it) and its object version is merged into the object's table like any other newer version.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ingestion.stripe.loader import EVENTS_DDL, OBJECT_DDL, RESOURCES, TABLE_OF_OBJECT, _merge, _row
from reelhouse.warehouse import connect

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300


def store_event(warehouse_url: str, event: dict) -> bool:
    """Append one event and apply its object version; returns False when the event was already stored."""
    with connect(warehouse_url) as conn:
        for table in RESOURCES:
            conn.execute(OBJECT_DDL.format(table=table))
        conn.execute(EVENTS_DDL)
        created = datetime.fromtimestamp(event["created"], UTC)
        inserted = conn.execute(
            "INSERT INTO raw_stripe.events (id, created, type, data, _loaded_at) VALUES (%s, %s, %s, %s, now()) "
            "ON CONFLICT (id) DO NOTHING", (event["id"], created, event["type"], json.dumps(event)),
        ).rowcount
        obj = (event.get("data") or {}).get("object") or {}
        table = TABLE_OF_OBJECT.get(obj.get("object", ""))
        if inserted and table:
            _merge(conn, table, [_row(table, obj, created)])
        conn.commit()
    return bool(inserted)


def create_webhook_app(warehouse_url: str, endpoint_secret: str) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        payload = await request.body()
        try:
            stripe.Webhook.construct_event(payload.decode(), request.headers.get("stripe-signature"),
                                           endpoint_secret, tolerance=TOLERANCE_SECONDS)
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            log.warning("rejected a webhook: %s", type(exc).__name__)
            return JSONResponse({"error": "invalid signature or payload"}, status_code=400)
        stored = store_event(warehouse_url, event)
        return JSONResponse({"received": True, "duplicate": not stored})

    return Starlette(routes=[Route("/stripe/webhooks", receive, methods=["POST"])])
