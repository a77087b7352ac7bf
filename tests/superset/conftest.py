"""A real Superset 6.1 (its own virtualenv, gunicorn) on the test warehouse's demo marts, provisioned from code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def superset(built_marts) -> Iterator[dict]:
    from reelhouse.config import get_settings
    from reelhouse.superset import service
    from reelhouse.warehouse import libpq_dsn, role_url
    from semantic.superset import admin_client, apply

    settings = get_settings()
    service.install(settings)  # a no-op when `make test` already installed it
    service.start(settings)
    analyst = libpq_dsn(role_url("analyst", settings))
    client = admin_client(settings)
    result = apply(client, analyst)
    yield {"client": client, "analyst_url": analyst, "result": result, "settings": settings}
    service.stop(settings)


@pytest.fixture()
def managed_charts(superset) -> list[dict]:
    """The charts Superset has now (ids change when a test removes and re-creates one)."""
    return [chart for chart in superset["client"].list_all(
        "chart", ["id", "uuid", "slice_name", "viz_type", "is_managed_externally", "datasource_name_text"])
        if chart["is_managed_externally"]]
