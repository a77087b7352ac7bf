"""The embedded warehouse: a real PostgreSQL on TCP, roles with least privilege."""

from __future__ import annotations

import psycopg
import pytest

from reelhouse.warehouse import admin_url, connect, role_url
from reelhouse.warehouse.bootstrap import initialise_warehouse


def test_server_answers_on_tcp_with_postgres_18(warehouse):
    with connect(admin_url()) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
    assert int(version) >= 180000
    assert {"raw_stripe", "raw_app", "raw_costs", "ops", "staging", "intermediate", "marts"} <= schemas


def test_init_is_idempotent(warehouse):
    initialise_warehouse(warehouse)
    initialise_warehouse(warehouse)
    with connect(admin_url()) as conn:
        roles = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname IN "
                                            "('loader','transformer','analyst')")}
    assert roles == {"loader", "transformer", "analyst"}


def test_analyst_reads_marts_but_not_raw_and_writes_nothing(warehouse):
    with connect(role_url("loader"), autocommit=True) as loader:
        loader.execute("CREATE TABLE IF NOT EXISTS raw_app.pii_probe (email text)")
        loader.execute("INSERT INTO raw_app.pii_probe VALUES ('someone@example.com')")
    with connect(role_url("transformer"), autocommit=True) as transformer:
        transformer.execute("CREATE TABLE IF NOT EXISTS marts.probe AS SELECT count(*) AS n FROM raw_app.pii_probe")

    with connect(role_url("analyst"), autocommit=True) as analyst:
        assert analyst.execute("SELECT n FROM marts.probe").fetchone()[0] >= 1
        for statement in (
            "SELECT * FROM raw_app.pii_probe",
            "INSERT INTO marts.probe VALUES (1)",
            "CREATE TABLE marts.mine (x int)",
            "CREATE TABLE public.mine (x int)",
            "CREATE SCHEMA mine",
            "CREATE TEMP TABLE mine (x int)",
        ):
            with pytest.raises(psycopg.Error):
                analyst.execute(statement)


def test_unreachable_server_is_one_clear_line():
    from reelhouse.errors import ReelhouseError

    with pytest.raises(ReelhouseError) as caught:
        connect("postgresql+psycopg://u:secretpw@127.0.0.1:1/db")
    message = str(caught.value)
    assert "cannot connect" in message and "secretpw" not in message and "\n" not in message


def test_a_role_password_never_reaches_the_server_in_clear(warehouse):
    """A statement PostgreSQL refuses is written to its log with its text: the password must not be in it
    (CI saw the loader's password there after two runs initialised one warehouse at once)."""
    from reelhouse.warehouse.bootstrap import ensure_login_role

    password, server_log = "clear-text-canary-4711", warehouse.pgdata / "server.log"
    with connect(admin_url(), autocommit=True) as conn:
        ensure_login_role(conn, "password_probe", password)
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'password_probe'").fetchone()[0]
        with pytest.raises(psycopg.errors.SyntaxError):  # refused, so the server logs the statement
            ensure_login_role(conn, "password_probe", password, attributes="LOGIN NOT_AN_OPTION")
        conn.execute("DROP ROLE password_probe")
    assert stored.startswith("SCRAM-SHA-256$")
    assert "NOT_AN_OPTION" in server_log.read_text(errors="replace")  # the refused statement is in the log ...
    assert password not in server_log.read_text(errors="replace")  # ... without the password
    with connect(role_url("loader")) as loader:
        assert loader.info.user == "loader"  # the verifier logs the role in like the clear password did
