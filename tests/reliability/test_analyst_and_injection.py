"""Security faults: what the read-only analyst role (Superset, SQL users) can try, and hostile values in the CLI
options and settings that reach SQL. Each attempt must fail clearly and change nothing."""

from __future__ import annotations

import re

import psycopg
import pytest
from faultkit import run_cli

from reelhouse.config import with_database
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import admin_url, connect, role_url

INJECTIONS = ["1; DROP TABLE marts.dim_users", "' OR 1=1 --", "1 OR 1=1", "1); DELETE FROM ops.report_sends; --"]

FORBIDDEN_READS = ["raw_app.users", "raw_stripe.customers", "raw_costs.video_provider_prices", "ops.load_audit",
                   "ops.quarantine", "ops.load_state", "staging.stg_app__users", "intermediate.int_chat_questions",
                   "marts_next.dim_users",  # the marts being built: not checked yet
                   "marts_store.fct_prompts"]  # an incremental mart's versions, unpublished ones too: views only
# Every write and every new object, each tried after switching the session's read-only default off, so it is
# the grants that refuse it and not merely default_transaction_read_only.
FORBIDDEN_STATEMENTS = [
    "INSERT INTO marts.dim_users SELECT * FROM marts.dim_users LIMIT 1",
    "UPDATE marts.dim_users SET user_id = user_id",
    "DELETE FROM marts.dim_users",
    "TRUNCATE marts.dim_users",
    "ALTER TABLE marts.dim_users ADD COLUMN x int",
    "DROP TABLE marts.dim_users",
    "CREATE TABLE marts.analyst_table (x int)",
    "CREATE VIEW marts.analyst_view AS SELECT 1 AS x",
    "CREATE TABLE public.analyst_table (x int)",
    "CREATE TEMP TABLE analyst_temp (x int)",
    "CREATE SCHEMA analyst_schema",
    "CREATE FUNCTION public.analyst_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "COPY marts.dim_users TO '/tmp/analyst_dump.csv'",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT set_config('role', 'loader', false)",
    "SET ROLE transformer",
]


def plain(output: str) -> str:
    """CLI output without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def catalog_fingerprint() -> tuple:
    """Every relation and its row estimate in the warehouse, the roles, and the rows the tests look at."""
    with connect(admin_url()) as conn:
        relations = conn.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('raw_app', 'raw_stripe', 'raw_costs', 'ops', 'staging', 'intermediate', 'marts',"
            " 'marts_next', 'public') ORDER BY 1, 2").fetchall()
        roles = conn.execute("SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles"
                             " WHERE rolname IN ('loader', 'transformer', 'analyst') ORDER BY 1").fetchall()
        counts = conn.execute("SELECT (SELECT count(*) FROM marts.dim_users), (SELECT count(*) FROM raw_app.users),"
                              " (SELECT count(*) FROM ops.report_sends)").fetchone()
    return relations, roles, counts


def test_the_analyst_reads_the_marts_and_can_do_nothing_else(built_marts):
    before = catalog_fingerprint()
    with connect(role_url("analyst"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM marts.dim_users").fetchone()[0] > 0  # the one thing allowed
        refused = {}
        for table in FORBIDDEN_READS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
                conn.execute(f"SELECT * FROM {table} LIMIT 1")
            refused[table] = str(caught.value)
        conn.execute("SET default_transaction_read_only = off")
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
        for statement in FORBIDDEN_STATEMENTS:
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedObject)) as caught:
                conn.execute(statement)
            refused[statement] = str(caught.value)
        conn.execute("GRANT SELECT ON marts.dim_users TO PUBLIC")  # not the owner: PostgreSQL only warns...
        granted = conn.execute("SELECT has_table_privilege('public', 'marts.dim_users', 'SELECT')").fetchone()[0]
        exposed = conn.execute(
            "SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            " AND (column_name ~* '(email|full_name|password|payload|secret)')").fetchall()
    assert all("permission denied" in message or "must be owner" in message for message in refused.values()), refused
    assert granted is False  # ...and grants nothing
    assert exposed == []  # no PII or secret-looking column is visible to the analyst anywhere
    assert catalog_fingerprint() == before


@pytest.mark.parametrize("database", ["app", "stripe_demo", "postgres"])
def test_the_analyst_cannot_even_connect_to_the_other_databases(demo_world, database):
    """The demo app database (emails, names), the Stripe store and the maintenance database share the embedded
    server: the analyst is refused at the door, so it can neither read them nor make temporary tables there."""
    with pytest.raises(ReelhouseError, match="does not have CONNECT privilege"):
        connect(with_database(role_url("analyst"), database), autocommit=True)
    with connect(with_database(role_url("analyst"), "reelhouse"), autocommit=True) as conn:  # its own still works
        assert conn.execute("SELECT count(*) > 0 FROM marts.mrr_daily").fetchone()[0]


@pytest.mark.parametrize("value", INJECTIONS)
def test_report_creator_ids_are_validated_before_any_sql(built_marts, tmp_path, value):
    before = catalog_fingerprint()
    preview = tmp_path / "report.html"
    done = run_cli("report", "weekly", "--preview", str(preview), "--creator", value)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert "Invalid value for '--creator'" in plain(done.stderr) and "valid integer" in plain(done.stderr)
    assert not preview.exists()
    assert catalog_fingerprint() == before


def test_an_unknown_creator_id_is_one_clear_line(built_marts, tmp_path):
    preview = tmp_path / "report.html"
    done = run_cli("report", "weekly", "--preview", str(preview), "--creator", "99999999999999999999")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == \
        ["error: creator 99999999999999999999 is not in marts.creator_overview"]
    assert not preview.exists()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["db", "url", "--role", "analyst'; DROP ROLE analyst; --"], {}, "role must be admin"),
        (["ingest", "--source", "app; DROP TABLE raw_app.users"], {}, "Invalid value for '--source'"),
        (["demo", "advance", "--hours", "1; DROP TABLE users"], {}, "Invalid value for '--hours'"),
        (["report", "weekly", "--send"], {"REPORT_CREATOR_RECIPIENTS": "1 OR 1=1=ana@school.org"},
         "invalid setting REPORT_CREATOR_RECIPIENTS='1 OR 1=1=ana@school.org': expected entries like"),
        (["report", "weekly", "--send"], {"REPORT_RECIPIENTS": "x'); DROP TABLE ops.report_sends; --"},
         "expected comma-separated email addresses"),
        (["db", "status"], {"REELHOUSE_AS_OF": "2026-11-16'; DROP TABLE marts.dim_users; --"},
         "invalid setting REELHOUSE_AS_OF=\"2026-11-16'; DROP TABLE marts.dim_users; --\": expected an ISO timestamp"),
    ],
    ids=["db url --role", "ingest --source", "demo advance --hours", "creator recipients", "report recipients",
         "as-of clock"],
)
def test_hostile_options_and_settings_are_refused_before_any_sql(built_marts, args, env, expected):
    before = catalog_fingerprint()
    done = run_cli(*args, env=env)
    assert done.returncode in (1, 2) and "Traceback" not in done.stdout + done.stderr
    assert expected in plain(done.stderr)
    assert catalog_fingerprint() == before
