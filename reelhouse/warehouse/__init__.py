"""Where the warehouse is and how to reach it: the embedded server by default, WAREHOUSE_URL otherwise.

Every module asks here for connection URLs, so the embedded/external switch lives in one place.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url

from reelhouse.config import APP_DB, STRIPE_DEMO_DB, WAREHOUSE_DB, Settings, as_role, get_settings, redact
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse.embedded import EmbeddedWarehouse


def embedded_server(settings: Settings | None = None) -> EmbeddedWarehouse:
    settings = settings or get_settings()
    return EmbeddedWarehouse(settings.pgdata, settings.embedded_port, settings.role_passwords["postgres"])


def admin_url(database: str = WAREHOUSE_DB, settings: Settings | None = None) -> str:
    """The owner connection (used by `db init` and the demo generator); starts the embedded server."""
    settings = settings or get_settings()
    if not settings.embedded:
        return make_url(settings.warehouse_url).set(
            drivername="postgresql+psycopg",
            database=database if database != WAREHOUSE_DB else make_url(settings.warehouse_url).database,
        ).render_as_string(hide_password=False)
    server = embedded_server(settings)
    server.start()
    return server.url(database)


def role_url(role: str, settings: Settings | None = None) -> str:
    """The warehouse as one of the project roles: loader, transformer or analyst."""
    settings = settings or get_settings()
    return as_role(admin_url(settings=settings), role, settings.role_passwords[role])


def app_db_url(settings: Settings | None = None) -> str:
    """The operational app database: APP_DB_URL, else the demo `app` database beside the warehouse."""
    settings = settings or get_settings()
    return settings.app_db_url or admin_url(APP_DB, settings)


def stripe_demo_db_url(settings: Settings | None = None) -> str:
    """The store behind the local Stripe-compatible server (demo and tests only)."""
    return admin_url(STRIPE_DEMO_DB, settings)


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL as the plain postgresql:// form psycopg and libpq take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connect(url: str, **kwargs) -> psycopg.Connection:
    """A psycopg connection with a one-line, password-free error when the server cannot be reached."""
    try:
        return psycopg.connect(libpq_dsn(url), connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ReelhouseError(f"cannot connect to PostgreSQL at {redact(url)}: {reason}") from None


def dbt_env(role: str = "transformer", settings: Settings | None = None, *, url: str | None = None,
            as_of: str | None = None, target: str = "prod") -> dict[str, str]:
    """Environment variables read by dbt_project/profiles.yml, so dbt connects like everything else.

    `url` and `as_of` override the configured warehouse and reporting clock (tests use both). `target` is the
    profile's output: `prod` (the pipeline, `reelhouse dbt`, the tests) builds the schemas readers are published
    from (staging, intermediate, marts_next); any other target builds into `<its schema>_<custom>` (dbt's
    generate_schema_name, dbt_project/macros/), so a developer's `--target dev` never touches them.
    """
    settings = settings or get_settings()
    parsed = make_url(url or role_url(role, settings))
    return {
        "REELHOUSE_AS_OF": as_of or settings.reporting_as_of or "",
        "REELHOUSE_DBT_HOST": parsed.host or "127.0.0.1",
        "REELHOUSE_DBT_PORT": str(parsed.port or 5432),
        "REELHOUSE_DBT_USER": parsed.username or role,
        "REELHOUSE_DBT_PASSWORD": parsed.password or "",
        "REELHOUSE_DBT_DBNAME": parsed.database or WAREHOUSE_DB,
        "REELHOUSE_DBT_TARGET": target,
        "REELHOUSE_DBT_THREADS": str(settings.dbt_threads),
    }
