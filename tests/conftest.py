"""Shared fixtures: one real embedded PostgreSQL per test session, isolated from the developer's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.warehouse.embedded import free_port


@pytest.fixture(scope="session")
def reelhouse_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private state folder and port, set before anything reads the settings."""
    home = tmp_path_factory.mktemp("reelhouse-home")
    os.environ["REELHOUSE_HOME"] = str(home)
    os.environ["REELHOUSE_PG_PORT"] = str(free_port())
    os.environ["STRIPE_SERVER_PORT"] = str(free_port())
    os.environ["REELHOUSE_AS_OF"] = DEMO_AS_OF  # marts measure 24h/7d/30d windows from the demo clock
    # The local Stripe server has no rate limit to respect (tests/ingestion/test_stripe_slices.py checks the limiter).
    os.environ["STRIPE_REQUESTS_PER_SECOND"] = "1000"
    # A private Superset port; its virtualenv is shared with the checkout (installed once, ~2 minutes).
    os.environ["SUPERSET_URL"] = f"http://127.0.0.1:{free_port()}"
    os.environ.setdefault("SUPERSET_VENV", str(REPO_ROOT / ".reelhouse" / "superset" / "venv"))
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


REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_AS_OF = "2026-11-16T12:00:00+00:00"  # a fixed clock: the same world on every run


@pytest.fixture(scope="session")
def fresh_database(warehouse):
    """Factory: an empty database on the test server, recreated on each call; returns its URL."""
    from psycopg import sql

    from reelhouse.warehouse import admin_url, connect

    def make(name: str) -> str:
        with connect(admin_url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return admin_url(name)

    return make


@pytest.fixture(scope="session")
def demo_world(warehouse):
    """A small generated world in the `app` database and its Stripe account in `stripe_demo`.

    Tests must not change it; a test that advances a world makes its own with `fresh_database`.
    """
    from datetime import datetime

    from demo.app_world import generate_app_world
    from demo.stripe_world import sync_stripe_world
    from reelhouse.warehouse import app_db_url, stripe_demo_db_url

    as_of = datetime.fromisoformat(DEMO_AS_OF)
    generate_app_world(app_db_url(), users=400, days=75, seed=7, as_of=as_of)
    sync_stripe_world(app_db_url(), stripe_demo_db_url(), reset=True)
    return {"app_url": app_db_url(), "stripe_url": stripe_demo_db_url(), "as_of": as_of}


@pytest.fixture(scope="session")
def scratch_warehouse(fresh_database):
    """Factory: a separate warehouse database (schemas, grants) for tests that change raw data."""
    from reelhouse.config import as_role, get_settings
    from reelhouse.warehouse.bootstrap import prepare_database

    def make(name: str) -> dict[str, str]:
        owner = fresh_database(name)
        prepare_database(owner)
        passwords = get_settings().role_passwords
        return {"owner": owner, **{role: as_role(owner, role, passwords[role]) for role in ("loader", "transformer",
                                                                                             "analyst")}}

    return make


@pytest.fixture(scope="session")
def built_marts(demo_world, tmp_path_factory) -> Path:
    """Load every source of the demo world, `dbt build`, `dbt docs generate` and publish the marts; returns the
    target dir."""
    import subprocess
    import sys

    from demo.stripe_world.background import running_stripe_server
    from ingestion.app_db import load_app_tables
    from ingestion.costs import load_costs
    from ingestion.stripe import load_stripe
    from orchestration.lib.dbt_project import DBT_PROJECT_DIR
    from reelhouse.config import get_settings
    from reelhouse.warehouse import app_db_url, dbt_env, role_url
    from reelhouse.warehouse.marts import publish_marts

    loader = role_url("loader")
    load_costs(loader)
    load_app_tables(app_db_url(), loader)
    with running_stripe_server(demo_world["stripe_url"]) as server:
        load_stripe(get_settings().stripe_api_key, server.base_url, loader)
    target = tmp_path_factory.mktemp("dbt-target")
    dbt = Path(sys.executable).with_name("dbt")
    for args in (["build"], ["docs", "generate"]):
        done = subprocess.run([str(dbt), *args, "--target-path", str(target), "--log-path", str(target)],
                              cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=1200,
                              env={**os.environ, **dbt_env()})
        assert done.returncode == 0, done.stdout[-6000:]
    publish_marts(role_url("transformer"))  # what the pipeline does once the checks pass: readers see them now
    return target


@pytest.fixture()
def stripe_env(demo_world):
    """Point the settings at a running local Stripe server for the duration of a test."""
    from demo.stripe_world.background import running_stripe_server
    from reelhouse.config import get_settings

    with running_stripe_server(demo_world["stripe_url"]) as server:
        os.environ["STRIPE_API_BASE"] = server.base_url
        get_settings.cache_clear()
        yield server
    os.environ.pop("STRIPE_API_BASE", None)
    get_settings.cache_clear()


@pytest.fixture()
def run_hourly(stripe_env):
    """Runs the hourly_refresh job in process on an ephemeral Dagster instance (raise_on_error off)."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    def run():
        job = defs.resolve_job_def("hourly_refresh")
        with DagsterInstance.ephemeral() as instance:
            return job.execute_in_process(instance=instance, raise_on_error=False)

    return run
