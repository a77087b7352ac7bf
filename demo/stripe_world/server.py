"""A local Stripe-compatible, read-only API over the demo account (Stripe cannot be reached from here).

It follows Stripe's list semantics (`limit` 1..100, `starting_after`/`ending_before`, `has_more`,
`created[gte|gt|lte|lt]`, `expand[]`), Bearer-key auth and error JSON, so our ingestion code talks
to it through the official `stripe` SDK exactly as it would talk to api.stripe.com. Faults (429
with Retry-After, 500, slow responses) can be switched on for tests.
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

from demo.stripe_world.store import RESOURCES
from reelhouse.warehouse import libpq_dsn

MAX_LIMIT = 100
CREATED_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
FILTERS = {  # query parameters Stripe accepts per list, mapped to JSON fields
    "charges": {"customer": "customer"},
    "invoices": {"customer": "customer", "subscription": "subscription", "status": "status"},
    "subscriptions": {"customer": "customer"},
    "refunds": {"charge": "charge"},
    "disputes": {"charge": "charge"},
    "balance_transactions": {"type": "type", "source": "source"},
    "prices": {"product": "product", "type": "type"},
}


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
    return JSONResponse(body, status_code=status, headers={"Request-Id": _request_id()})


def _request_id() -> str:
    return f"req_{secrets.token_hex(7)}"


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
        """Authenticate, then apply any switched-on fault, as Stripe's edge would."""
        if (refused := self._authorize(request)) is not None:
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
        try:
            limit = int(params.get("limit", "10"))
        except ValueError:
            return _error(400, "invalid_request_error", "Invalid integer: limit", param="limit")
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, "invalid_request_error",
                          f"This value must be less than or equal to {MAX_LIMIT} (it currently is '{limit}').",
                          code="parameter_invalid_integer", param="limit")
        table, where, args = ("stripe.events", [], []) if resource == "events" else \
            ("stripe.objects", ["object_type = %s"], [RESOURCES[resource]])
        for operator, sql_operator in CREATED_OPERATORS.items():
            if (value := params.get(f"created[{operator}]")) is not None:
                where.append(f"created {sql_operator} %s")
                args.append(int(value))
        if (value := params.get("created")) is not None:
            where.append("created = %s")
            args.append(int(value))
        for param, field_name in FILTERS.get(resource, {}).items():
            if (value := params.get(param)) is not None:
                where.append(f"data->>'{field_name}' = %s")
                args.append(value)
        if resource == "subscriptions":
            status = params.get("status")
            if status is None:
                where.append("status <> 'canceled'")     # Stripe's default: all but canceled
            elif status != "all":
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
            items = [self._expand(conn, item, expand) for item in items]
        body = {"object": "list", "data": items, "has_more": len(rows) > limit, "url": f"/v1/{resource}"}
        return JSONResponse(body, headers={"Request-Id": _request_id()})

    def retrieve(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        resource, object_id = request.path_params["resource"], request.path_params["object_id"]
        with self.pool.connection() as conn:
            if resource == "events":
                row = conn.execute("SELECT data FROM stripe.events WHERE id = %s", (object_id,)).fetchone()
            elif resource in RESOURCES:
                row = conn.execute("SELECT data FROM stripe.objects WHERE id = %s AND object_type = %s",
                                   (object_id, RESOURCES[resource])).fetchone()
            else:
                return _error(404, "invalid_request_error", f"Unrecognized request URL (GET: /v1/{resource}).")
            if row is None:
                return _error(404, "invalid_request_error", f"No such {RESOURCES.get(resource, 'event')}: "
                              f"'{object_id}'", code="resource_missing", param="id")
            body = self._expand(conn, row[0], _bracketed(request.query_params, "expand"))
        return JSONResponse(body, headers={"Request-Id": _request_id()})

    def refuse_write(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        return _error(405, "invalid_request_error", "The demo Stripe server is read-only.")

    @staticmethod
    def _expand(conn: psycopg.Connection, obj: dict, paths: list[str]) -> dict:
        for path in paths:
            head, _, rest = path.partition(".")
            value = obj.get(head)
            if isinstance(value, str):
                row = conn.execute("SELECT data FROM stripe.objects WHERE id = %s", (value,)).fetchone()
                if row is not None:
                    obj[head] = StripeApi._expand(conn, row[0], [rest] if rest else [])
            elif isinstance(value, dict) and rest:
                obj[head] = StripeApi._expand(conn, value, [rest])
        return obj


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
        return JSONResponse({"ok": True})

    app = Starlette(routes=[
        Route("/__faults", faults_endpoint, methods=["POST"]),
        Route("/v1/{resource}", api.list_objects, methods=["GET"]),
        Route("/v1/{resource}", api.refuse_write, methods=["POST", "DELETE"]),
        Route("/v1/{resource}/{object_id}", api.retrieve, methods=["GET"]),
        Route("/v1/{resource}/{object_id}", api.refuse_write, methods=["POST", "DELETE"]),
    ])
    app.state.api = api
    return app
