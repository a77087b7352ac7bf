"""Shared fixtures: one real embedded PostgreSQL per test session, isolated from the developer's own."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def reelhouse_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private state folder and port, set before anything reads the settings."""
    home = tmp_path_factory.mktemp("reelhouse-home")
    os.environ["REELHOUSE_HOME"] = str(home)
    os.environ["REELHOUSE_PG_PORT"] = str(free_port())
    os.environ["STRIPE_SERVER_PORT"] = str(free_port())
    for name in ("WAREHOUSE_URL", "APP_DB_URL", "STRIPE_API_KEY", "STRIPE_API_BASE"):
        os.environ.pop(name, None)
    from reelhouse.config import get_settings

    get_settings.cache_clear()
    return home


@pytest.fixture(scope="session")
def warehouse(reelhouse_home: Path) -> Iterator:
    """A running, initialised embedded warehouse (databases reelhouse, app, stripe_demo)."""
    from reelhouse.config import get_settings
    from reelhouse.warehouse import embedded_server
    from reelhouse.warehouse.bootstrap import initialise_warehouse

    settings = get_settings()
    server = embedded_server(settings)
    server.start()
    initialise_warehouse(settings)
    yield settings
    server.stop()
