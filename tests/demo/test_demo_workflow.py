"""The demo's own suggested workflow: `reelhouse demo` prints the next steps, and following them gives a clean
incremental run. A world ends hours before now and `demo advance` simulates only hours that have passed: a row
stamped in the future is one the loader quarantines ("created_at is in the future")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from demo.app_world import HOURS_BEHIND_NOW, advance_app_world, generate_app_world
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse.embedded import free_port

AS_OF = datetime(2026, 11, 2, 9, tzinfo=UTC)


def newest_stamp(url: str) -> datetime:
    """The latest created_at or updated_at of any row in any app table."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        columns = conn.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema ="
                               " 'public' AND column_name IN ('created_at', 'updated_at')").fetchall()
        query = " UNION ALL ".join(f'SELECT max("{column}") FROM "{table}"' for table, column in columns)
        return conn.execute(f"SELECT max(max) FROM ({query}) AS stamps").fetchone()[0]  # noqa: S608


def world_state(url: str) -> tuple:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return conn.execute("SELECT meta::text FROM demo_meta.world").fetchone()[0], newest_stamp(url)


def test_advance_simulates_only_hours_that_have_passed(fresh_database):
    url = fresh_database("demo_advance_to_now")
    generate_app_world(url, users=30, days=2, seed=3, as_of=AS_OF)
    before = world_state(url)
    now = AS_OF + timedelta(hours=2, minutes=30)
    with pytest.raises(ReelhouseError, match=r"advance at most 2 hour\(s\) now, not 3"):
        advance_app_world(url, hours=3, now=now)
    assert world_state(url) == before  # refused before anything was written
    advance_app_world(url, hours=2, now=now)
    assert AS_OF + timedelta(hours=1) < newest_stamp(url) <= now - timedelta(minutes=30)
    with pytest.raises(ReelhouseError, match="nothing to add before the next hour begins"):
        advance_app_world(url, hours=1, now=now)


def test_a_world_generated_now_ends_hours_back(fresh_database):
    url = fresh_database("demo_generated_now")
    started = datetime.now(UTC)
    generate_app_world(url, users=10, days=1, seed=5)
    assert newest_stamp(url) <= started.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS_BEHIND_NOW)
    advance_app_world(url, hours=1)  # an hour that has passed


def cli(args: list[str], env: dict[str, str], timeout: int = 1500) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reelhouse", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.timeout(3600)
def test_the_printed_next_steps_give_a_clean_incremental_run(tmp_path):
    """What a new user does: `reelhouse demo` on a fresh machine (its own embedded warehouse, the wall clock),
    then exactly the commands it suggests for an incremental run."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REELHOUSE_AS_OF", "DAGSTER_HOME", "WAREHOUSE_URL", "APP_DB_URL", "STRIPE_API_BASE",
                          "STRIPE_API_KEY")}
    env.update(REELHOUSE_HOME=str(tmp_path / "state"), REELHOUSE_PG_PORT=str(free_port()),
               STRIPE_SERVER_PORT=str(free_port()), COLUMNS="400")
    try:
        first = cli(["demo", "--no-superset", "--users", "120", "--days", "14"], env)
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
        printed = " ".join(first.stdout.split())
        steps = re.search(r"(reelhouse demo advance --hours \d+) then (reelhouse [\w -]+?) for an incremental run",
                          printed)
        assert steps, printed[-1500:]
        for command in steps.groups():
            done = cli(command.split()[1:], env)
            assert done.returncode == 0, f"{command}: {done.stdout[-4000:]}{done.stderr[-4000:]}"
            assert "Traceback" not in done.stdout + done.stderr
        owner = cli(["db", "url", "--show-password"], env, timeout=120).stdout.strip()
        with psycopg.connect(owner) as conn:
            quarantined = conn.execute("SELECT count(*), string_agg(DISTINCT table_name || ': ' || reason, '; ')"
                                       " FROM ops.quarantine").fetchone()
            loads = conn.execute("SELECT count(DISTINCT load_id), sum(rows_inserted), sum(rows_quarantined)"
                                 " FROM ops.load_audit WHERE source = 'app'").fetchone()
        assert quarantined == (0, None), quarantined
        assert loads[0] >= 2 and loads[1] > 0 and loads[2] == 0, loads  # two loads, rows landed, none quarantined
    finally:
        cli(["db", "stop"], env, timeout=120)
