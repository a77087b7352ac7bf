"""Superset's secrets: never a default outside demo mode; generated, kept and distinct in demo mode."""

from __future__ import annotations

import pytest

from reelhouse.config import get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.superset import service


@pytest.fixture()
def settings_with(monkeypatch, tmp_path):
    def make(**env: str):
        monkeypatch.setenv("REELHOUSE_HOME", str(tmp_path))
        for name in ("WAREHOUSE_URL", "SUPERSET_ADMIN_PASSWORD", "SUPERSET_SECRET_KEY"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()

    yield make
    get_settings.cache_clear()


def test_outside_demo_mode_superset_needs_its_secrets(settings_with):
    production = settings_with(WAREHOUSE_URL="postgresql+psycopg://owner:pw@db.internal:5432/reelhouse")
    with pytest.raises(ReelhouseError, match="SUPERSET_ADMIN_PASSWORD"):
        service.admin_password(production)
    with pytest.raises(ReelhouseError, match="SUPERSET_SECRET_KEY"):
        service._secret_key(production)
    configured = settings_with(WAREHOUSE_URL="postgresql+psycopg://owner:pw@db.internal:5432/reelhouse",
                               SUPERSET_ADMIN_PASSWORD="a-real-one", SUPERSET_SECRET_KEY="k" * 42)
    assert service.admin_password(configured) == "a-real-one"
    assert service._secret_key(configured) == "k" * 42


def test_demo_mode_generates_strong_distinct_secrets_and_keeps_them(settings_with):
    demo = settings_with()
    password, key = service.admin_password(demo), service._secret_key(demo)
    assert len(password) >= 20 and len(key) >= 20 and password != key
    assert password not in ("admin", "general") and (demo.home / "credentials.json").stat().st_mode & 0o077 == 0
    again = settings_with()
    assert (service.admin_password(again), service._secret_key(again)) == (password, key)
