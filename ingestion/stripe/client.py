"""Talking to Stripe: the official SDK pinned to one API version, retries within a time budget, raw JSON out.

Every request names `STRIPE_API_VERSION` (the SDK's own default moves with SDK releases; the shapes we read must
not). Objects are taken from the raw response body, not from the SDK's objects: since SDK 15 those turn
`*_decimal` strings into `Decimal`, and the string Stripe sent is the exact value we keep.

An invoice embeds only its first lines (10; `lines.has_more` says more exist). Every invoice this client returns
(listed or retrieved) has all of them: the rest are read from `GET /v1/invoices/<id>/lines`, page by page, appended
to `lines.data` in Stripe's order, and `has_more` set to false. The invoice row then holds one consistent version of
the whole invoice, and staging unnests its lines as for any invoice (see `complete_lines`).

Every request a load makes (listing pages, probes, the clock, invoice lines, retrieves; each retry of one too) first
takes a token from one `RateLimiter`, shared by every thread of the load (ingestion/stripe/slices.py), so parallel
listers stay under `STRIPE_REQUESTS_PER_SECOND` together.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe

from ingestion.stripe.version import STRIPE_API_VERSION
from reelhouse.errors import ReelhouseError

log = logging.getLogger(__name__)


class StripeLoadError(ReelhouseError):
    """Stripe kept failing after retries, or refused; the message is safe to show (no key)."""


class StripeKeyRejected(StripeLoadError):
    """The key is wrong or revoked: every further request would fail the same way."""


class StripeObjectMissing(StripeLoadError):
    """A retrieve answered 404 (`resource_missing`): the object is gone."""


@dataclass(frozen=True)
class RetryPolicy:
    """How one request rides out 429s, 5xx and network errors.

    Waits follow `Retry-After` when Stripe sends it, else exponential backoff from `base_delay` up to `max_delay`
    with jitter (half the step fixed, half random, so many clients do not retry in step). A request gives up when
    its next wait would take its total time past `budget_seconds` (None: the STRIPE_RETRY_BUDGET_SECONDS setting)
    or after `attempts` tries when that is set. `sleep`, `clock` and `jitter` are injectable so tests can run a
    long storm without waiting for it.
    """

    attempts: int | None = None
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout_seconds: float = 30.0  # per HTTP request; a hung connection is a network error, retried like one
    budget_seconds: float | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def budget(self) -> float:
        if self.budget_seconds is not None:
            return self.budget_seconds
        from reelhouse.config import get_settings

        return get_settings().stripe_retry_budget_seconds

    def backoff(self, attempt: int) -> float:
        step = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return step / 2 + self.jitter() * step / 2


class RateLimiter:
    """A token bucket shared by every thread that calls `acquire`: on average at most `rate` requests a second, at
    most `burst` at once after a pause. In any span of t seconds it grants at most `burst + rate * t` requests.

    A caller that finds the bucket empty reserves the next free slot under the lock (the bucket goes negative) and
    sleeps outside it until then, so threads are served in turn and none can overtake a reserved slot. `clock` and
    `sleep` are injectable: a test can check the schedule without waiting for it.
    """

    def __init__(self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limiter needs rate > 0 and burst >= 1")
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens = burst
        self._at = clock()

    def acquire(self) -> float:
        """Wait for this request's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


def safe(message: str, api_key: str) -> str:
    return message.replace(api_key, "sk_****") if api_key else message


def make_client(api_key: str, api_base: str, policy: RetryPolicy) -> stripe.StripeClient:
    return stripe.StripeClient(api_key, base_addresses={"api": api_base}, stripe_version=STRIPE_API_VERSION,
                               max_network_retries=2,
                               http_client=stripe.RequestsClient(timeout=policy.timeout_seconds))


def _retry_after(exc: stripe.StripeError) -> float | None:
    value = (getattr(exc, "headers", None) or {}).get("retry-after")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date or garbage: fall back to our own backoff
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def _message(exc: stripe.StripeError) -> str:
    return " ".join((exc.user_message or str(exc) or type(exc).__name__).split())


def call_with_retries(fetch: Callable[[], Any], policy: RetryPolicy, api_key: str) -> Any:
    """Ride out 429 storms, 5xx and network errors within the policy's budget; other errors fail at once.

    The SDK retries 5xx and connection errors itself (twice) but never a 429, and ignores Retry-After.
    """
    budget = policy.budget()
    started = policy.clock()
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        try:
            result = fetch()
        except (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError) as exc:
            status = getattr(exc, "http_status", None) or "network error"
            delay = _retry_after(exc)
            delay = policy.backoff(attempt) if delay is None else delay
            elapsed = policy.clock() - started
            if (policy.attempts is not None and attempt >= policy.attempts) or elapsed + delay > budget:
                raise StripeLoadError(safe(
                    f"Stripe still failing after {attempt} attempts over {elapsed:.1f}s, {waited:.1f}s of it waiting"
                    f" (HTTP {status}): {_message(exc)} (retry budget {budget:g}s: STRIPE_RETRY_BUDGET_SECONDS)",
                    api_key)) from None
            log.info("Stripe %s (HTTP %s), retrying in %.1fs (attempt %d; %.1fs waited so far of a %gs budget)",
                     type(exc).__name__, status, delay, attempt, waited, budget)
            policy.sleep(delay)
            waited += delay
            continue
        except stripe.AuthenticationError as exc:
            raise StripeKeyRejected(safe(f"Stripe rejected the API key: {_message(exc)}", api_key)) from None
        except stripe.PermissionError as exc:
            raise StripeLoadError(safe(f"Stripe refused the request (HTTP 403; a restricted key needs read access"
                                       f" to this resource): {_message(exc)}", api_key)) from None
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 and exc.code == "resource_missing":
                raise StripeObjectMissing(safe(_message(exc), api_key)) from None
            raise StripeLoadError(safe(f"Stripe refused the request (HTTP {exc.http_status}): {_message(exc)}",
                                       api_key)) from None
        except stripe.StripeError as exc:
            raise StripeLoadError(safe(f"Stripe error: {_message(exc)}", api_key)) from None
        if waited:
            log.warning("Stripe answered after %d attempts, %.1fs of waiting", attempt, waited)
        return result


def raw_json(obj: stripe.StripeObject) -> dict:
    """The object exactly as Stripe sent it (decimal strings stay strings)."""
    response = obj.last_response
    if response is not None and isinstance(response.data, dict):
        return response.data
    return obj.to_dict(for_json=True)


class Stripe:
    """The requests the loader and the webhook receiver make, each retried by the policy, answers as raw JSON;
    with a `limiter`, every request (each retry too) waits for its token first. One instance serves many threads:
    the SDK keeps an HTTP session per thread."""

    def __init__(self, api_key: str, api_base: str, policy: RetryPolicy, limiter: RateLimiter | None = None) -> None:
        self.client = make_client(api_key, api_base, policy)
        self.api_key = api_key
        self.policy = policy
        self.limiter = limiter

    def call(self, fetch: Callable[[], Any]) -> dict:
        limiter = self.limiter

        def limited() -> Any:
            if limiter is not None:
                limiter.acquire()
            return fetch()

        return raw_json(call_with_retries(limited, self.policy, self.api_key))

    def clock(self) -> datetime:
        """Now on Stripe's own timeline, to stamp what a request is about to return: the `created` of the newest
        event Stripe lists (every change before it is in any answer after it), never past our own clock (one
        event stamped in the future must not outrank the changes after it). The wall clock alone is not enough:
        an event can be listed after a fetch that already returned an older state, with a `created` before that
        fetch (a simulated account, as the demo's, always does), and would then never be applied."""
        newest = self.call(lambda: self.client.v1.events.list(params={"limit": 1})).get("data") or []
        created = newest[0]["created"] if newest else 0
        return datetime.fromtimestamp(min(created, int(time.time())), UTC)

    def _list(self, fetch: Callable[[dict], Any], params: dict) -> Iterator[list[dict]]:
        """Every page of a list (limit=100, each page request retried on its own)."""
        starting_after = params.get("starting_after")
        while True:
            page_params = {**params, "limit": 100, **({"starting_after": starting_after} if starting_after else {})}
            body = self.call(lambda p=page_params: fetch(p))
            items = list(body.get("data") or [])
            if items:
                yield items
            if not body.get("has_more") or not items:
                return
            starting_after = items[-1]["id"]

    def pages(self, resource: str, params: dict) -> Iterator[list[dict]]:
        """Every page of a list; invoices with all their lines."""
        service = getattr(self.client.v1, resource)
        for items in self._list(lambda p: service.list(params=p), params):
            yield [self.complete_lines(item) for item in items] if resource == "invoices" else items

    def complete_lines(self, invoice: dict) -> dict:
        """The invoice with every line: when Stripe embedded only the first ones (`lines.has_more`), the rest from
        `GET /v1/invoices/<id>/lines` after the last embedded line, appended, and `has_more` false."""
        lines = invoice.get("lines")
        if not (isinstance(lines, dict) and lines.get("has_more") is True and isinstance(invoice.get("id"), str)):
            return invoice
        data = list(lines.get("data") or [])
        after = {"starting_after": data[-1]["id"]} if data else {}
        service = self.client.v1.invoices.line_items
        for items in self._list(lambda p: service.list(invoice["id"], params=p), after):
            data += items
        return {**invoice, "lines": {**lines, "data": data, "has_more": False}}

    def retrieve(self, resource: str, object_id: str, params: dict | None = None) -> dict | None:
        """The object (an invoice with all its lines), or None for one Stripe says is deleted (`deleted: true`, or
        404 `resource_missing`)."""
        service = getattr(self.client.v1, resource)
        try:
            obj = self.call(lambda: service.retrieve(object_id, params=params or {}))
            if obj.get("deleted") is True:
                return None
            return self.complete_lines(obj) if resource == "invoices" else obj
        except StripeObjectMissing:
            return None
