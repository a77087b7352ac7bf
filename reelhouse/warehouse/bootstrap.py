"""`reelhouse db init`: databases, schemas, roles and grants, created idempotently.

Roles follow the data flow: `loader` writes raw_* and ops, `transformer` reads them and owns the
dbt schemas, `analyst` reads marts only (no raw PII, no writes, no object creation). dbt builds the marts into
`marts_next`, which the analyst cannot see, and publishing swaps it with `marts` (reelhouse.warehouse.marts).
The incremental marts keep their rows once, in `marts_store`, which no reader may enter: the views over them in
`marts` are the transformer's, and PostgreSQL checks a view's reads against its owner's privileges.
"""

from __future__ import annotations

from psycopg import sql

from reelhouse.config import APP_DB, ROLE_NAMES, STRIPE_DEMO_DB, WAREHOUSE_DB, Settings, get_settings
from reelhouse.warehouse import admin_url, connect
from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA, STORE_SCHEMA

RAW_SCHEMAS = ("raw_stripe", "raw_app", "raw_costs")
OPS_SCHEMA = "ops"
DBT_SCHEMAS = ("staging", "intermediate", LIVE_SCHEMA, BUILD_SCHEMA, STORE_SCHEMA)
# Catalog changes (databases, roles, grants) take turns under this advisory lock: see _take_turns.
BOOTSTRAP_LOCK = "reelhouse:bootstrap"

# Data-quality outcomes: written by the checks (run as transformer), read back into marts by dbt.
DQ_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS ops.dq_results (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    suite            text NOT NULL,
    expectation      text NOT NULL,
    target_table     text NOT NULL,
    success          boolean NOT NULL,
    blocking         boolean NOT NULL,
    observed_value   text,
    unexpected_count bigint,
    run_id           text NOT NULL,
    checked_at       timestamptz NOT NULL DEFAULT now()
)
"""

# The weekly report's send log (run as transformer): one 'sent' row per report, week and recipient makes a
# retried or re-run job skip whoever already got it; failures are logged too, so they are reported.
REPORT_SENDS_DDL = """
CREATE TABLE IF NOT EXISTS ops.report_sends (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report       text NOT NULL,
    week_start   date NOT NULL,
    recipient    text NOT NULL,
    status       text NOT NULL CHECK (status IN ('sent', 'failed')),
    message_id   text,
    error        text,
    logged_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS report_sends_once ON ops.report_sends (report, week_start, recipient)
    WHERE status = 'sent'
"""


def _ensure_database(name: str, settings: Settings) -> None:
    with connect(admin_url("postgres", settings), autocommit=True) as conn:
        # CREATE DATABASE cannot run in a transaction: this session's lock, released when it closes.
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (BOOTSTRAP_LOCK,))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        close_to_public(conn, name)


def close_to_public(conn, database: str) -> None:
    """Only roles granted it may connect to a database or make temporary tables there (PostgreSQL lets
    every role do both by default): the analyst must not reach the app data or Superset's users."""
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))


def _take_turns(conn) -> None:
    """Serialise catalog changes for the rest of the transaction: two processes granting or altering the same
    object at once fail with "tuple concurrently updated" (two `reelhouse run` starting on a new warehouse)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (BOOTSTRAP_LOCK,))


ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"


def ensure_login_role(conn, role: str, password: str, attributes: str = ROLE_ATTRIBUTES) -> None:
    """Create the role, or bring its attributes and password up to date.

    The password travels as the verifier libpq computes on this side (SCRAM by the server's setting), never in
    clear: a statement PostgreSQL logs (say, one that failed) must not show it. Two processes initialising at
    once take turns (ALTER ROLE on one role from two sessions fails with "tuple concurrently updated").
    """
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
    with conn.transaction():
        _take_turns(conn)
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        conn.execute(sql.SQL("{} ROLE {} {} PASSWORD {}").format(
            sql.SQL("ALTER" if exists else "CREATE"), sql.Identifier(role), sql.SQL(attributes),
            sql.Literal(verifier)))


def _grant_statements(database: str) -> list[sql.Composable]:
    ident = sql.Identifier
    statements: list[sql.Composable] = [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident(database)),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO loader, transformer, analyst").format(ident(database)),
        # Staging tables for merges (loader) and dbt's incremental builds (transformer); never the analyst.
        sql.SQL("GRANT TEMPORARY ON DATABASE {} TO loader, transformer").format(ident(database)),
        # Publishing the marts renames the transformer's two mart schemas, which PostgreSQL allows only to
        # roles that may create schemas in the database.
        sql.SQL("GRANT CREATE ON DATABASE {} TO transformer").format(ident(database)),
        sql.SQL("ALTER ROLE analyst SET default_transaction_read_only = on"),
        sql.SQL("ALTER ROLE analyst SET statement_timeout = '120s'"),
    ]
    for schema in (*RAW_SCHEMAS, OPS_SCHEMA):
        statements += [
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION loader").format(ident(schema)),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO transformer").format(ident(schema)),
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO transformer").format(ident(schema)),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE loader IN SCHEMA {} GRANT SELECT ON TABLES TO transformer")
            .format(ident(schema)),
        ]
    statements += [
        sql.SQL(DQ_RESULTS_DDL),
        sql.SQL("ALTER TABLE ops.dq_results OWNER TO loader"),
        sql.SQL("GRANT SELECT, INSERT ON ops.dq_results TO transformer"),
        sql.SQL(REPORT_SENDS_DDL),
        sql.SQL("ALTER TABLE ops.report_sends OWNER TO loader"),
        sql.SQL("GRANT SELECT, INSERT ON ops.report_sends TO transformer"),
    ]
    for schema in DBT_SCHEMAS:
        statements.append(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION transformer").format(ident(schema))
        )
    # The two mart schemas trade names at every publication, so both carry the analyst's table privileges;
    # only the live one lets the analyst in.
    for schema in (LIVE_SCHEMA, BUILD_SCHEMA):
        statements += [
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO analyst").format(ident(schema)),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE transformer IN SCHEMA {} GRANT SELECT ON TABLES TO analyst")
            .format(ident(schema)),
        ]
    statements += [
        sql.SQL("GRANT USAGE ON SCHEMA {} TO analyst").format(ident(LIVE_SCHEMA)),
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM analyst").format(ident(BUILD_SCHEMA)),
    ]
    return statements


def initialise_warehouse(settings: Settings | None = None) -> list[str]:
    """Create what is missing and re-apply grants; safe to run any number of times.

    Returns the names of the databases it made sure of.
    """
    settings = settings or get_settings()
    databases = [WAREHOUSE_DB]
    if settings.embedded:
        databases += [APP_DB, STRIPE_DEMO_DB, "postgres"]
        for name in databases:
            _ensure_database(name, settings)
    with connect(admin_url(settings=settings), autocommit=True) as conn:
        for role in ROLE_NAMES:
            ensure_login_role(conn, role, settings.role_passwords[role])
    prepare_database(admin_url(settings=settings))
    return databases


def prepare_database(owner_url: str) -> None:
    """Schemas and grants in one warehouse database (the roles already exist: they are cluster-wide)."""
    with connect(owner_url, autocommit=True) as conn:
        database = conn.info.dbname
        with conn.transaction():
            _take_turns(conn)
            for statement in _grant_statements(database):
                conn.execute(statement)
