"""Stripe webhook receiver: verified events land in raw_stripe between hourly runs (the Production Requirements doc).

A request is refused before any work when its body is larger than `MAX_BODY_BYTES` (413; Stripe's events are
a few KB, so nothing is read past the limit). Its `Stripe-Signature` is verified by the official SDK with the
endpoint secret; the signature's timestamp must lie within `TOLERANCE_SECONDS` of now in both directions (the
SDK checks only the past). A bad signature, a body that is not a Stripe event, or an object of ours without
`created` gets 400 with one line and nothing is stored.

A good event is appended to raw_stripe.events (deduplicated by event id, so Stripe's retries and the hourly
Events pass never double it) and applied by the same rule as the Events pass (ingestion/stripe/events.py): its
object is merged only when the event is in the pinned API version and the only one about that object in its
second, else the object is retrieved from Stripe in the pinned version. If that retrieve or the warehouse
fails, nothing is stored and the answer is 503, so Stripe delivers the event again later.
"""

from __future__ import annotations

import json
import logging
import time

import psycopg
import stripe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ingestion.common.errors import first_line
from ingestion.stripe.client import RetryPolicy, Stripe, StripeLoadError, safe
from ingestion.stripe.events import apply_events
from ingestion.stripe.raw import (
    EMBEDDED_TABLES,
    RESOURCES,
    TABLE_OF_OBJECT,
    created_of,
    ensure_raw_tables,
    store_events,
)
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
# A webhook is answered while Stripe waits: a retrieve gets a short budget, then Stripe's own redelivery takes over.
WEBHOOK_RETRY = RetryPolicy(budget_seconds=8.0, max_delay=2.0, timeout_seconds=5.0)


class Rejected(ReelhouseError):
    """The request is refused; the message is one line, safe to answer and log."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _body(request: Request) -> bytes:
    """The body, or Rejected(413) as soon as it is known to exceed MAX_BODY_BYTES (the rest is never read)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Rejected(f"request body of {int(declared):,} bytes is over the {MAX_BODY_BYTES:,}-byte limit", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Rejected(f"request body is over the {MAX_BODY_BYTES:,}-byte limit", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def verified_event(payload: bytes, signature: str | None, secret: str, now: float | None = None) -> dict:
    """The event in a signed body; Rejected (one line) for a bad signature, a stale or future timestamp, or a
    body that is not a Stripe event."""
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        raise Rejected("the body is not UTF-8 text") from None
    try:
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise Rejected(f"bad signature: {first_line(exc)}") from None
    stamp = next((int(part[2:]) for part in (signature or "").split(",") if part.startswith("t=")
                  and part[2:].isdigit()), None)
    if stamp is None or stamp > (now or time.time()) + TOLERANCE_SECONDS:
        raise Rejected(f"bad signature: timestamp outside the tolerance zone ({stamp}, in the future)")
    try:
        event = json.loads(text)
    except ValueError:
        raise Rejected("the signed body is not JSON") from None
    problem = _not_an_event(event)
    if problem:
        raise Rejected(f"the signed body is not a Stripe event: {problem}")
    return event


def _not_an_event(event: object) -> str | None:
    if not isinstance(event, dict) or event.get("object") != "event":
        return 'no "object": "event"'
    for name, kind in (("id", str), ("type", str), ("created", int)):
        if not isinstance(event.get(name), kind) or isinstance(event.get(name), bool):
            return f"{name} missing or not a {kind.__name__}"
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "no data.object"
    created = created_of(obj)
    if obj.get("object") in TABLE_OF_OBJECT and isinstance(obj.get("id"), str) and obj.get("deleted") is not True \
            and (not isinstance(created, int) or isinstance(created, bool)):
        return f"its {obj['object']} {obj['id']} has no {'start' if obj['object'] == 'discount' else 'created'}"
    return None


def create_webhook_app(warehouse_url: str, endpoint_secret: str, *, api_key: str | None = None,
                       api_base: str | None = None, policy: RetryPolicy = WEBHOOK_RETRY) -> Starlette:
    """The receiver; `api_key` / `api_base` (default: STRIPE_API_KEY / STRIPE_API_BASE) retrieve objects again."""
    if api_key is None or api_base is None:
        from reelhouse.config import get_settings

        settings = get_settings()
        api_key = api_key if api_key is not None else settings.stripe_api_key
        api_base = api_base if api_base is not None else settings.stripe_api_base
    account = Stripe(api_key, api_base, policy)
    tables_ready = []

    def store(event: dict) -> bool:
        """Append the event and apply it, in one transaction; False when it was already stored."""
        with connect(warehouse_url) as conn:
            if not tables_ready:
                ensure_raw_tables(conn, [*RESOURCES, *EMBEDDED_TABLES, "events"])
                conn.commit()
                tables_ready.append(True)
            new = store_events(conn, [event])
            if new:
                apply_events(conn, new, account)
            conn.commit()
        return bool(new)

    async def receive(request: Request) -> JSONResponse:
        try:
            event = verified_event(await _body(request), request.headers.get("stripe-signature"), endpoint_secret)
            try:
                stored = await run_in_threadpool(store, event)
            except StripeLoadError as exc:
                raise Rejected(f"event {event['id']} not stored, Stripe will send it again: {exc}", 503) from None
            except psycopg.Error as exc:
                raise Rejected(f"event {event['id']} not stored, Stripe will send it again: warehouse: "
                               f"{first_line(exc)}", 503) from None
        except Rejected as exc:
            message = safe(str(exc), api_key)
            log.warning("webhook answered %d: %s", exc.status, message)
            return JSONResponse({"error": message}, status_code=exc.status)
        return JSONResponse({"received": True, "duplicate": not stored})

    return Starlette(routes=[Route("/stripe/webhooks", receive, methods=["POST"])])
