"""Outages seen through `reelhouse ingest`, the command people and cron run: the app database unreachable, the
warehouse restarted in the middle of a load. Each must end in one clear line (no traceback, no password), leave
every cursor where its committed rows are, and the next run must finish the job exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from faultkit import raw_stripe_ids, store_ids, wait_for
from psycopg import sql

from reelhouse.config import get_settings
from reelhouse.warehouse import connect
from reelhouse.warehouse.embedded import EmbeddedWarehouse, free_port

APP_TABLES_CHECKED = ("users", "videos", "messages", "video_progress", "credit_transactions")


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reelhouse", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **env})


def assert_one_clear_error(returncode: int, stdout: str, stderr: str, *expected: str) -> str:
    assert returncode == 1, stdout + stderr
    assert "Traceback" not in stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def second_server(tmp_path_factory, warehouse) -> Iterator[EmbeddedWarehouse]:
    """A second embedded PostgreSQL that tests may restart (the session's server holds every source)."""
    server = EmbeddedWarehouse(tmp_path_factory.mktemp("restartable") / "pgdata", free_port(),
                               get_settings().role_passwords["postgres"])
    server.start()
    yield server
    server.stop()


def external_warehouse(server: EmbeddedWarehouse, name: str) -> str:
    """A new, empty database on `server`, as the WAREHOUSE_URL `reelhouse` would be given."""
    with connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.url(name)


def loader_is_writing(owner_url: str) -> bool:
    """The loader has a transaction open that has written rows it has not committed."""
    with connect(owner_url) as conn:
        return conn.execute("SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = 'loader'"
                            " AND datname = current_database() AND backend_xid IS NOT NULL").fetchone()[0]


def cursors(owner_url: str, source: str) -> dict[str, dict]:
    with connect(owner_url) as conn:
        if not conn.execute("SELECT to_regclass('ops.load_state')").fetchone()[0]:
            return {}
        return dict(conn.execute("SELECT table_name, cursor FROM ops.load_state WHERE source = %s", (source,)))


def test_app_database_unreachable_is_one_clear_line_and_the_other_sources_still_load(
        fresh_database, stripe_copy):
    warehouse = fresh_database("reliability_cli_app_down")
    done = subprocess.run(
        [sys.executable, "-m", "reelhouse", "ingest"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "WAREHOUSE_URL": warehouse,
             "APP_DB_URL": "postgresql://app_reader:app-db-s3cret@127.0.0.1:9/app",
             "STRIPE_API_BASE": stripe_copy["server"].base_url})
    line = assert_one_clear_error(done.returncode, done.stdout, done.stderr, "cannot connect", "127.0.0.1:9")
    assert "app-db-s3cret" not in done.stdout + done.stderr
    assert "app database" in line
    with connect(warehouse) as conn:
        loaded = dict(conn.execute("SELECT source, count(*) FILTER (WHERE status = 'ok') FROM ops.load_audit"
                                   " GROUP BY 1").fetchall())
    assert loaded.get("stripe") == 12 and loaded.get("costs") == 2  # Stripe (11 resources, events) and prices loaded
    assert set(raw_stripe_ids(warehouse)["charges"]) == store_ids(stripe_copy["store"])["charges"]
    assert "stripe.charges" in done.stdout and "costs.video_provider_prices" in done.stdout


def test_warehouse_restarted_during_a_stripe_load_fails_clearly_then_a_rerun_is_exact(second_server, stripe_copy):
    warehouse = external_warehouse(second_server, "reliability_restart_stripe")
    env = {"WAREHOUSE_URL": warehouse, "STRIPE_API_BASE": stripe_copy["server"].base_url}
    stripe_copy["server"].faults.delay_seconds = 0.05
    run = cli("ingest", "--source", "stripe", env=env)
    try:
        wait_for(lambda: cursors(warehouse, "stripe") and loader_is_writing(warehouse),
                 "the Stripe load to be writing after a committed resource")
        before = cursors(warehouse, "stripe")
        second_server.stop()  # a fast shutdown, as a restart or failover does: every session is cut
        second_server.start()
        stdout, stderr = run.communicate(timeout=120)
    finally:
        stripe_copy["server"].faults.delay_seconds = 0
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
    assert_one_clear_error(run.returncode, stdout, stderr, "Stripe", "lost the connection to the warehouse")
    after = cursors(warehouse, "stripe")
    assert after.keys() >= before.keys() and "events" not in after  # only whole resources kept their cursor
    landed, expected = raw_stripe_ids(warehouse), store_ids(stripe_copy["store"])
    for resource in after:
        assert set(landed[resource]) == expected[resource], resource

    rerun = subprocess.run([sys.executable, "-m", "reelhouse", "ingest", "--source", "stripe"], capture_output=True,
                           text=True, timeout=300, env={**os.environ, **env})
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    landed = raw_stripe_ids(warehouse)
    assert {table: sorted(ids) for table, ids in landed.items()} == \
        {table: sorted(ids) for table, ids in expected.items()}


def test_warehouse_restarted_during_an_app_load_fails_clearly_then_a_rerun_is_exact(
        second_server, demo_world):
    warehouse = external_warehouse(second_server, "reliability_restart_app")
    env = {"WAREHOUSE_URL": warehouse, "APP_DB_URL": demo_world["app_url"]}
    run = cli("ingest", "--source", "app", env=env)
    try:
        wait_for(lambda: cursors(warehouse, "app") and loader_is_writing(warehouse),
                 "the app load to be writing after a committed batch")
        second_server.stop()
        second_server.start()
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
    assert_one_clear_error(run.returncode, stdout, stderr, "app database", "lost the connection", "warehouse")

    rerun = subprocess.run([sys.executable, "-m", "reelhouse", "ingest", "--source", "app"], capture_output=True,
                           text=True, timeout=300, env={**os.environ, **env})
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for table in APP_TABLES_CHECKED:
        query = sql.SQL("SELECT count(*), count(DISTINCT id), md5(string_agg(id::text || updated_at::text, ','"
                        " ORDER BY id)) FROM {}").format
        with connect(demo_world["app_url"]) as source, connect(warehouse) as raw:
            assert raw.execute(query(sql.Identifier("raw_app", table))).fetchone() == \
                source.execute(query(sql.Identifier("public", table))).fetchone(), table
