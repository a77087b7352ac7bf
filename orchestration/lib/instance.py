"""The local Dagster instance: DAGSTER_HOME in the state folder, storage in the warehouse server.

Runs, event logs and schedules live in a `dagster` database next to the warehouse (PostgreSQL, like
production's orchestration/deploy/dagster.yaml), and the queued run coordinator lets only one
hourly refresh run at a time.

The storage URL carries the warehouse owner's password, so like production it never goes into dagster.yaml:
the file says `postgres_url: {env: DAGSTER_PG_URL}` and the URL travels in that environment variable. Dagster
passes its instance to the processes it starts (`reelhouse dev`'s webserver, daemon and run workers) on their
command lines, which every local user can read (`ps`); the environment only the same user can.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from psycopg import sql

from reelhouse.config import Settings, get_settings
from reelhouse.warehouse import admin_url, connect, libpq_dsn
from reelhouse.warehouse.bootstrap import close_to_public

DAGSTER_DB = "dagster"
STORAGE_URL_VARIABLE = "DAGSTER_PG_URL"  # as in orchestration/deploy/dagster.yaml
PIPELINE_TAG = "reelhouse/pipeline"
# A run tagged with this reloads every source from scratch and rebuilds incremental dbt models.
FULL_REFRESH_TAG = "reelhouse/full_refresh"


def instance_config() -> dict:
    return {
        # dagster-postgres's storage with its connections kept open (orchestration/lib/storage.py); its URL (with the
        # password) from the environment, never written down.
        "storage": {"custom": {"module": "orchestration.lib.storage", "class": "PooledPostgresStorage",
                               "config": {"postgres_url": {"env": STORAGE_URL_VARIABLE}}}},
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {
                "max_concurrent_runs": 4,
                "tag_concurrency_limits": [{"key": PIPELINE_TAG, "value": "hourly_refresh", "limit": 1}],
            },
        },
        # How often a run is retried is each job's own tag (orchestration/lib/retries.py); this only switches it on.
        "run_retries": {"enabled": True},
        "telemetry": {"enabled": False},
    }


def prepare_dagster_home(settings: Settings | None = None) -> Path:
    """Create DAGSTER_HOME with its dagster.yaml and storage database; export DAGSTER_HOME and DAGSTER_PG_URL."""
    settings = settings or get_settings()
    home = settings.dagster_home or settings.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    with connect(admin_url("postgres", settings), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DAGSTER_DB,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DAGSTER_DB)))
        close_to_public(conn, DAGSTER_DB)
    config_path = home / "dagster.yaml"
    # dagster-postgres needs psycopg2 (its NOTIFY statements break on psycopg 3's server-side binding),
    # and SQLAlchemy 2.1 would otherwise pick psycopg 3 for a plain postgresql:// URL.
    storage_url = libpq_dsn(admin_url(DAGSTER_DB, settings)).replace("postgresql://", "postgresql+psycopg2://", 1)
    config_path.write_text(yaml.safe_dump(instance_config()))
    os.environ[STORAGE_URL_VARIABLE] = storage_url  # this process and the ones it starts read it from here
    os.environ["DAGSTER_HOME"] = str(home)
    return home
