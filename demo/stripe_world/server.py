"""A local Stripe-compatible, read-only API over the demo account (Stripe cannot be reached from here).

It follows Stripe's list semantics (`limit` 1..100, `starting_after`/`ending_before`, `has_more`,
`created[gte|gt|lte|lt]`, each list's own filters, `expand[]`, unknown parameters refused), Bearer-key
auth and error JSON, so our ingestion code talks to it through the official `stripe` SDK exactly as it
would talk to api.stripe.com. It speaks one API version, the account's default `API_VERSION`: a request
without `Stripe-Version` or with that version is answered in it, any other version is refused (HTTP 400,
`invalid_request_error`) rather than answered in shapes it does not have. Events are served as they were
rendered (their own `api_version`). Deleted customers are not listed; retrieving one answers Stripe's
deleted stub. An invoice embeds only its first `EMBEDDED_LINES` lines wherever it is served (listed, retrieved,
expanded, inside an event), with `lines.has_more` saying more exist; all of them are listed, page by page, at
`GET /v1/invoices/<id>/lines`, as Stripe does. Faults (429 with Retry-After, 500, slow responses) can be switched on
for tests.
"""

from __future__ import annotations

import base64
import json
import queue
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo.stripe_world.derive import API_VERSION
from demo.stripe_world.store import RESOURCES
from reelhouse.warehouse import libpq_dsn

MAX_LIMIT = 100
EMBEDDED_LINES = 10  # lines Stripe embeds in an invoice object; the rest only through its lines endpoint
CREATED_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# Query parameters each list accepts besides the common ones (the SDK's *ListParams), mapped to the JSON path they
# filter on; a parameter outside these is refused as Stripe does ("Received unknown parameter").
FILTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {"email": ("email",)},
    "products": {"active": ("active",)},
    "prices": {"product": ("product",), "type": ("type",), "currency": ("currency",), "active": ("active",)},
    "coupons": {},
    "subscriptions": {"customer": ("customer",)},
    "invoices": {"customer": ("customer",), "subscription": ("parent", "subscription_details", "subscription"),
                 "collection_method": ("collection_method",)},
    "invoice_payments": {"invoice": ("invoice",), "payment[type]": ("payment", "type"),
                         "payment[payment_intent]": ("payment", "payment_intent"),
                         "payment[payment_record]": ("payment", "payment_record")},
    "payment_intents": {"customer": ("customer",)},
    "charges": {"customer": ("customer",), "payment_intent": ("payment_intent",)},
    "refunds": {"charge": ("charge",), "payment_intent": ("payment_intent",)},
    "disputes": {"charge": ("charge",), "payment_intent": ("payment_intent",)},
    "balance_transactions": {"type": ("type",), "source": ("source",), "currency": ("currency",)},
    "events": {},
}
STATUS_FILTERED = {"subscriptions", "invoices", "invoice_payments"}  # `status` is a column of the store
COMMON_PARAMS = {"limit", "starting_after", "ending_before", "created", *(f"created[{op}]" for op in ("gt", "gte",
                                                                                                      "lt", "lte"))}
EVENT_PARAMS = {"type", "delivery_success"}


@dataclass
class Faults:
    """Switchable misbehaviour: the next N requests fail with 429 or 500, or every request is slow."""

    rate_limited: int = 0
    retry_after: float = 1.0
    server_errors: int = 0
    delay_seconds: float = 0.0
    requests_seen: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_fault(self) -> str | None:
        with self._lock:
            self.requests_seen += 1
            if self.rate_limited > 0:
                self.rate_limited -= 1
                return "429"
            if self.server_errors > 0:
                self.server_errors -= 1
                return "500"
        return None


class ConnectionPool:
    """A few reusable connections; the server is small and read-only."""

    def __init__(self, url: str, size: int = 4) -> None:
        self._dsn = libpq_dsn(url)
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._size = size

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = psycopg.connect(self._dsn, autocommit=True)
        try:
            yield conn
        except psycopg.OperationalError:
            conn.close()
            raise
        if not conn.closed and self._idle.qsize() < self._size:
            self._idle.put(conn)
        else:
            conn.close()


def _error(status: int, kind: str, message: str, code: str | None = None, param: str | None = None) -> JSONResponse:
    body = {"error": {"type": kind, "message": message, "code": code, "param": param,
                      "doc_url": f"https://stripe.com/docs/error-codes/{code}" if code else None}}
    return JSONResponse(body, status_code=status, headers=_headers())


def _refuse_version(request: Request) -> JSONResponse | None:
    """None when the request asks for the account's version (or names none); Stripe's 400 otherwise."""
    asked = request.headers.get("stripe-version")
    if asked is None or asked.strip() == API_VERSION:
        return None
    return _error(400, "invalid_request_error",
                  f"Invalid Stripe API version: {asked}. This account answers only in API version {API_VERSION} "
                  "(send that Stripe-Version header, or none for the account's default).")


def _deleted_stub(obj: dict) -> dict:
    """What Stripe answers for an object that was deleted (a customer): its id, type and `deleted: true`."""
    return {"id": obj["id"], "object": obj["object"], "deleted": True}


def _embedded(obj: Any) -> Any:
    """An object as Stripe renders it: an invoice (at any depth: an event's object, an expanded latest_invoice)
    embeds only its first EMBEDDED_LINES lines and says `has_more`. The store keeps every line."""
    if isinstance(obj, list):
        return [_embedded(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    rendered = {key: _embedded(value) for key, value in obj.items()}
    lines = rendered.get("lines") if rendered.get("object") == "invoice" else None
    if isinstance(lines, dict) and isinstance(lines.get("data"), list) and len(lines["data"]) > EMBEDDED_LINES:
        rendered["lines"] = {**lines, "data": lines["data"][:EMBEDDED_LINES], "has_more": True}
    return rendered


def _request_id() -> str:
    return f"req_{secrets.token_hex(7)}"


def _headers() -> dict[str, str]:
    return {"Request-Id": _request_id(), "Stripe-Version": API_VERSION}


def _masked(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


def _bracketed(params: Any, name: str) -> list[str]:
    """Stripe's array encoding: `expand[]=a&expand[]=b` or `expand[0]=a&expand[1]=b`."""
    values = list(params.getlist(f"{name}[]"))
    index = 0
    while f"{name}[{index}]" in params:
        values.append(params[f"{name}[{index}]"])
        index += 1
    return values


class StripeApi:
    def __init__(self, store_url: str, api_key: str, faults: Faults | None = None) -> None:
        self.pool = ConnectionPool(store_url)
        self.api_key = api_key
        self.faults = faults or Faults()

    # --- request gate ---------------------------------------------------------------------------
    def _gate(self, request: Request) -> Response | None:
        """Authenticate, check the API version, then apply any switched-on fault, as Stripe's edge would."""
        if (refused := self._authorize(request)) is not None:
            return refused
        if (refused := _refuse_version(request)) is not None:
            return refused
        fault = self.faults.next_fault()
        if self.faults.delay_seconds:
            time.sleep(self.faults.delay_seconds)
        if fault == "429":
            response = _error(429, "invalid_request_error", "Too many requests hit the API too quickly.",
                              code="rate_limit")
            response.headers["Retry-After"] = str(self.faults.retry_after)
            return response
        if fault == "500":
            return _error(500, "api_error", "An unknown error occurred on Stripe's end.")
        return None

    def _authorize(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        key = ""
        if header.lower().startswith("bearer "):
            key = header[7:].strip()
        elif header.lower().startswith("basic "):
            key = base64.b64decode(header[6:]).decode(errors="replace").split(":", 1)[0]
        if not key:
            return _error(401, "invalid_request_error",
                          "You did not provide an API key. Provide it in the Authorization header as a Bearer token.")
        if not secrets.compare_digest(key, self.api_key):
            return _error(401, "invalid_request_error", f"Invalid API Key provided: {_masked(key)}",
                          code="api_key_invalid")
        return None

    # --- endpoints ------------------------------------------------------------------------------
    def list_objects(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        resource = request.path_params["resource"]
        if resource != "events" and resource not in RESOURCES:
            return _error(404, "invalid_request_error", f"Unrecognized request URL (GET: /v1/{resource}).")
        params = request.query_params
        filters = FILTERS[resource]
        allowed = COMMON_PARAMS | set(filters)
        arrays = {"expand"}
        if resource in STATUS_FILTERED:
            allowed.add("status")
        if resource == "events":
            allowed |= EVENT_PARAMS
            arrays.add("types")
        for name in params:
            if name not in allowed and name.split("[", 1)[0] not in arrays:
                return _error(400, "invalid_request_error", f"Received unknown parameter: {name}",
                              code="parameter_unknown", param=name)
        try:
            limit = int(params.get("limit", "10"))
        except ValueError:
            return _error(400, "invalid_request_error", "Invalid integer: limit", param="limit")
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, "invalid_request_error",
                          f"This value must be less than or equal to {MAX_LIMIT} (it currently is '{limit}').",
                          code="parameter_invalid_integer", param="limit")
        table, where, args = ("stripe.events", [], []) if resource == "events" else \
            ("stripe.objects", ["object_type = %s", "NOT deleted"], [RESOURCES[resource]])
        created = [(f"created[{op}]", sql_op) for op, sql_op in CREATED_OPERATORS.items()] + [("created", "=")]
        for param, sql_operator in created:
            if (value := params.get(param)) is not None:
                if not value.lstrip("-").isdigit():
                    return _error(400, "invalid_request_error", f"Invalid integer: {value}",
                                  code="parameter_invalid_integer", param=param)
                where.append(f"created {sql_operator} %s")
                args.append(int(value))
        for param, path in filters.items():
            if (value := params.get(param)) is not None:
                where.append("data #>> %s = %s")
                args += [list(path), value]
        if resource == "subscriptions":
            status = params.get("status")
            if status is None:
                where.append("status <> 'canceled'")     # Stripe's default: all but canceled
            elif status != "all":
                where.append("status = %s")
                args.append(status)
        elif resource in STATUS_FILTERED and (status := params.get("status")) is not None:
            where.append("status = %s")
            args.append(status)
        if resource == "events":
            types = _bracketed(params, "types") or ([params["type"]] if "type" in params else [])
            if types:
                where.append("(" + " OR ".join("type LIKE %s" for _ in types) + ")")
                args += [t.replace("*", "%") for t in types]
        starting_after, ending_before = params.get("starting_after"), params.get("ending_before")
        order = "created DESC, id DESC"
        with self.pool.connection() as conn:
            cursor_id = starting_after or ending_before
            if cursor_id:
                lookup = f"SELECT created FROM {table} WHERE id = %s"  # noqa: S608 (table is a constant)
                row = conn.execute(lookup, (cursor_id,)).fetchone()
                if row is None:
                    param = "starting_after" if starting_after else "ending_before"
                    return _error(400, "invalid_request_error", f"No such object: '{cursor_id}'",
                                  code="resource_missing", param=param)
                comparison = "<" if starting_after else ">"
                where.append(f"(created, id) {comparison} (%s, %s)")
                args += [row[0], cursor_id]
                if ending_before:
                    order = "created ASC, id ASC"
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            # Only constants and placeholders are formatted in; every value is bound.
            query = f"SELECT data FROM {table} {clause} ORDER BY {order} LIMIT %s"  # noqa: S608
            rows = conn.execute(query, (*args, limit + 1)).fetchall()
            items = [row[0] for row in rows[:limit]]
            if ending_before:
                items.reverse()
            expand = [path.removeprefix("data.") for path in _bracketed(params, "expand")]
            items = [_embedded(self._expand(conn, item, expand)) for item in items]
        body = {"object": "list", "data": items, "has_more": len(rows) > limit, "url": f"/v1/{resource}"}
        return JSONResponse(body, headers=_headers())

    def retrieve(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        resource, object_id = request.path_params["resource"], request.path_params["object_id"]
        with self.pool.connection() as conn:
            if resource == "events":
                row = conn.execute("SELECT data, false FROM stripe.events WHERE id = %s", (object_id,)).fetchone()
            elif resource in RESOURCES:
                row = conn.execute("SELECT data, deleted FROM stripe.objects WHERE id = %s AND object_type = %s",
                                   (object_id, RESOURCES[resource])).fetchone()
            else:
                return _error(404, "invalid_request_error", f"Unrecognized request URL (GET: /v1/{resource}).")
            if row is None:
                return _error(404, "invalid_request_error", f"No such {RESOURCES.get(resource, 'event')}: "
                              f"'{object_id}'", code="resource_missing", param="id")
            if row[1]:
                body = _deleted_stub(row[0])
            else:
                body = _embedded(self._expand(conn, row[0], _bracketed(request.query_params, "expand")))
        return JSONResponse(body, headers=_headers())

    def invoice_lines(self, request: Request) -> Response:
        """`GET /v1/invoices/<id>/lines`: every line of the invoice, paged like any list (limit 1..100, default 10,
        `starting_after` / `ending_before` a line id of this invoice)."""
        if (refused := self._gate(request)) is not None:
            return refused
        invoice_id, params = request.path_params["invoice_id"], request.query_params
        for name in params:
            if name not in ("limit", "starting_after", "ending_before") and name.split("[", 1)[0] != "expand":
                return _error(400, "invalid_request_error", f"Received unknown parameter: {name}",
                              code="parameter_unknown", param=name)
        try:
            limit = int(params.get("limit", "10"))
        except ValueError:
            return _error(400, "invalid_request_error", "Invalid integer: limit", param="limit")
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, "invalid_request_error",
                          f"This value must be less than or equal to {MAX_LIMIT} (it currently is '{limit}').",
                          code="parameter_invalid_integer", param="limit")
        with self.pool.connection() as conn:
            row = conn.execute("SELECT data FROM stripe.objects WHERE id = %s AND object_type = 'invoice'",
                               (invoice_id,)).fetchone()
        if row is None:
            return _error(404, "invalid_request_error", f"No such invoice: '{invoice_id}'", code="resource_missing",
                          param="invoice")
        lines = (row[0].get("lines") or {}).get("data") or []
        ids = [line.get("id") for line in lines]
        start, end = 0, len(lines)
        for param in ("starting_after", "ending_before"):
            if (cursor := params.get(param)) is not None:
                if cursor not in ids:
                    return _error(400, "invalid_request_error", f"No such line item: '{cursor}'",
                                  code="resource_missing", param=param)
                if param == "starting_after":
                    start = ids.index(cursor) + 1
                else:
                    end = ids.index(cursor)
        if "ending_before" in params and "starting_after" not in params:
            page, has_more = lines[max(start, end - limit):end], end - limit > start
        else:
            page, has_more = lines[start:min(end, start + limit)], start + limit < end
        body = {"object": "list", "data": page, "has_more": has_more, "url": f"/v1/invoices/{invoice_id}/lines"}
        return JSONResponse(body, headers=_headers())

    def refuse_write(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        return _error(405, "invalid_request_error", "The demo Stripe server is read-only.")

    @staticmethod
    def _expand(conn: psycopg.Connection, obj: dict, paths: list[str]) -> dict:
        """Replace the ids at `paths` (`customer`, `discounts`, `latest_invoice.customer`) with their objects."""
        for path in paths:
            head, _, rest = path.partition(".")
            if head not in obj:
                continue
            value = obj[head]
            if isinstance(value, list):
                obj[head] = [StripeApi._expand_one(conn, item, rest) for item in value]
            else:
                obj[head] = StripeApi._expand_one(conn, value, rest)
        return obj

    @staticmethod
    def _expand_one(conn: psycopg.Connection, value: Any, rest: str) -> Any:
        if isinstance(value, str):
            row = conn.execute("SELECT data, deleted FROM stripe.objects WHERE id = %s", (value,)).fetchone()
            if row is None:
                return value
            return _deleted_stub(row[0]) if row[1] else StripeApi._expand(conn, row[0], [rest] if rest else [])
        if isinstance(value, dict) and rest:
            return StripeApi._expand(conn, value, [rest])
        return value


def create_app(store_url: str, api_key: str, faults: Faults | None = None) -> Starlette:
    api = StripeApi(store_url, api_key, faults)

    async def faults_endpoint(request: Request) -> Response:
        refused = api._authorize(request)
        if refused is not None:
            return refused
        changes = json.loads(await request.body() or b"{}")
        for name in ("rate_limited", "server_errors", "delay_seconds", "retry_after"):
            if name in changes:
                setattr(api.faults, name, changes[name])
        return JSONResponse({"ok": True, "requests_seen": api.faults.requests_seen})  # a server in another process

    app = Starlette(routes=[
        Route("/__faults", faults_endpoint, methods=["POST"]),
        Route("/v1/{resource}", api.list_objects, methods=["GET"]),
        Route("/v1/{resource}", api.refuse_write, methods=["POST", "DELETE"]),
        Route("/v1/{resource}/{object_id}", api.retrieve, methods=["GET"]),
        Route("/v1/invoices/{invoice_id}/lines", api.invoice_lines, methods=["GET"]),
        Route("/v1/{resource}/{object_id}", api.refuse_write, methods=["POST", "DELETE"]),
    ])
    app.state.api = api
    return app
