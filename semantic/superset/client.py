"""A small Superset REST client: JWT login, CSRF token, and errors that say which call failed and why."""

from __future__ import annotations

import json
from typing import Any

import requests

from reelhouse.config import Settings, get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.superset.service import admin_password


class SupersetError(ReelhouseError):
    """A Superset API call failed (the message names the call and Superset's answer, never credentials)."""


class SupersetClient:
    def __init__(self, url: str, username: str, password: str, timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.timeout = timeout
        self.session = requests.Session()
        try:
            response = self.session.post(f"{self.url}/api/v1/security/login", timeout=timeout, json={
                "username": username, "password": password, "provider": "db", "refresh": False})
        except requests.RequestException as exc:
            raise SupersetError(f"cannot reach Superset at {self.url}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SupersetError(f"Superset login as {username!r} failed ({response.status_code})")
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        self.session.headers["Referer"] = self.url
        self.session.headers["X-CSRFToken"] = self.get("/api/v1/security/csrf_token/")["result"]

    def request(self, method: str, path: str, *, expect: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, f"{self.url}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise SupersetError(f"{method} {path}: cannot reach Superset ({type(exc).__name__})") from None
        if response.status_code not in expect:
            raise SupersetError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=payload, **kwargs) if payload is not None \
            else self.request("POST", path, **kwargs)

    def put(self, path: str, payload: Any, **kwargs: Any) -> Any:
        return self.request("PUT", path, json=payload, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def list_all(self, resource: str, columns: list[str], filters: list[dict[str, Any]] | None = None) -> list[dict]:
        """Every row of a list endpoint (paged), e.g. list_all("chart", ["id", "uuid"])."""
        rows: list[dict] = []
        page = 0
        while True:
            query = {"columns": columns, "page": page, "page_size": 100, "filters": filters or []}
            result = self.get(f"/api/v1/{resource}/", params={"q": _rison(query)})["result"]
            rows += result
            if len(result) < 100:
                return rows
            page += 1


def _rison(value: Any) -> str:
    """Encode the subset of Rison Superset's list endpoints take (dicts, lists, strings, numbers, booleans)."""
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if value is None:
        return "!n"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        safe = value and all(ch.isalnum() or ch in "-_./~" for ch in value) and not value[0].isdigit() \
            and value[0] not in "-"
        return value if safe else "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, list):
        return "!(" + ",".join(_rison(item) for item in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{_rison(key)}:{_rison(item)}" for key, item in value.items()) + ")"
    raise TypeError(f"cannot encode {type(value).__name__} as Rison")


def admin_client(settings: Settings | None = None) -> SupersetClient:
    """The admin session for provisioning and publishing, with credentials from the settings."""
    settings = settings or get_settings()
    return SupersetClient(settings.superset.url, settings.superset.admin_user, admin_password(settings))
