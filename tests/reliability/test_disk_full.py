"""The warehouse runs out of disk space while `reelhouse ingest` loads the app database.

A real full disk needs a size-limited filesystem (a mount, so root) that CI does not have; instead triggers on the
tables raise exactly what PostgreSQL raises when it cannot extend a file: SQLSTATE 53100 (disk_full), "could not
extend file ...: No space left on device". To the loader that is the same error on the same statements (the merge
into raw, the cursor, the audit row); the user must get one line naming the table and the cause, no cursor may
move, and once there is room again the next run must load every change exactly once."""

from __future__ import annotations

import pytest
from faultkit import run_cli
from psycopg import sql

from demo.app_world import generate_app_world
from ingestion.app_db import APP_TABLES
from reelhouse.warehouse import connect

NEW_MESSAGES, EDITED_MESSAGES = 40, 25

DISK_FULL = """
CREATE FUNCTION public.fault_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'disk_full', HINT = 'Check free disk space.',
        MESSAGE = 'could not extend file "base/16384/24576": No space left on device';
END $$
"""


def fill_disk(warehouse: str, tables: list[str]) -> None:
    """From now on every row written into `tables` is refused as PostgreSQL refuses it on a full disk."""
    with connect(warehouse, autocommit=True) as conn:
        conn.execute(DISK_FULL)
        for table in tables:
            conn.execute(sql.SQL("CREATE TRIGGER fault_disk_full BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE"
                                 " FUNCTION public.fault_disk_full()").format(sql.Identifier(*table.split("."))))


def free_disk(warehouse: str) -> None:
    with connect(warehouse, autocommit=True) as conn:
        conn.execute("DROP FUNCTION public.fault_disk_full() CASCADE")  # and every trigger calling it


@pytest.fixture()
def world(fresh_database, demo_world) -> dict[str, str]:
    """A private app database (this test changes it) and an empty warehouse, as `reelhouse ingest` is given them."""
    app = fresh_database("reliability_disk_full_app")
    generate_app_world(app, users=60, days=7, seed=31, as_of=demo_world["as_of"])
    return {"app": app, "warehouse": fresh_database("reliability_disk_full_wh")}


def fingerprint(url: str, schema: str) -> tuple:
    """messages in `schema`: rows, distinct keys, and a hash of every key, version and content."""
    query = sql.SQL("SELECT count(*), count(DISTINCT id), md5(string_agg(id::text || updated_at::text || content, ','"
                    " ORDER BY id)) FROM {}").format(sql.Identifier(schema, "messages"))
    with connect(url) as conn:
        return conn.execute(query).fetchone()


def messages_state(warehouse: str) -> tuple:
    """raw_app.messages (fingerprint) and its cursor."""
    with connect(warehouse) as conn:
        cursor = conn.execute("SELECT cursor FROM ops.load_state WHERE source = 'app' AND table_name = 'messages'"
                              ).fetchone()
    return fingerprint(warehouse, "raw_app"), cursor


def last_audit(warehouse: str, table: str) -> tuple:
    with connect(warehouse) as conn:
        return conn.execute("SELECT status, rows_inserted, rows_updated, error FROM ops.load_audit"
                            " WHERE source = 'app' AND table_name = %s ORDER BY id DESC LIMIT 1", (table,)).fetchone()


def an_hour_of_app_traffic(app: str) -> None:
    """NEW_MESSAGES new and EDITED_MESSAGES edited messages, and one renamed video, all stamped now."""
    with connect(app, autocommit=True) as conn:
        columns = [row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = 'messages' AND column_name NOT IN ('id', 'updated_at')")]
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        conn.execute(sql.SQL(
            "INSERT INTO messages (id, {names}, updated_at) SELECT (SELECT max(id) FROM messages) + row_number()"
            " OVER (ORDER BY id), {names}, now() FROM (SELECT * FROM messages ORDER BY id LIMIT %s) m"
        ).format(names=names), (NEW_MESSAGES,))
        conn.execute("UPDATE messages SET content = content || ' (edited)', updated_at = now()"
                     " WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT %s)", (EDITED_MESSAGES,))
        conn.execute("UPDATE videos SET title = 'renamed during the outage', updated_at = now() WHERE id = 1")


def cursors(warehouse: str) -> dict:
    with connect(warehouse) as conn:
        return dict(conn.execute("SELECT table_name, cursor FROM ops.load_state WHERE source = 'app'").fetchall())


def one_clear_line(done) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def assert_the_rerun_loads_each_change_once(world: dict[str, str], env: dict[str, str]) -> None:
    rerun = run_cli("ingest", "--source", "app", env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert last_audit(world["warehouse"], "messages")[:3] == ("ok", NEW_MESSAGES, EDITED_MESSAGES)
    assert fingerprint(world["warehouse"], "raw_app") == fingerprint(world["app"], "public")
    again = run_cli("ingest", "--source", "app", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert last_audit(world["warehouse"], "messages")[:3] == ("ok", 0, 0)  # nothing loaded twice


def test_a_full_disk_under_one_raw_table_is_one_clear_line_naming_it_and_the_rerun_loads_each_change_once(world):
    """The disk (or tablespace) under raw_app.messages is full: that table fails, clearly; the others load."""
    env = {"WAREHOUSE_URL": world["warehouse"], "APP_DB_URL": world["app"]}
    first = run_cli("ingest", "--source", "app", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    an_hour_of_app_traffic(world["app"])
    before = messages_state(world["warehouse"])
    fill_disk(world["warehouse"], ["raw_app.messages"])

    line = one_clear_line(run_cli("ingest", "--source", "app", env=env))
    for text in ("1 load(s) failed", "app.messages: the warehouse is out of disk space writing raw_app.messages",
                 "SQLSTATE 53100", "No space left on device", "cursor were rolled back", "run again"):
        assert text in line, line
    assert messages_state(world["warehouse"]) == before  # not a row written, the cursor where it was
    status, _, _, error = last_audit(world["warehouse"], "messages")
    assert status == "failed" and "out of disk space writing raw_app.messages" in error
    with connect(world["warehouse"]) as conn:  # the tables that had room loaded
        assert conn.execute("SELECT title FROM raw_app.videos WHERE id = 1").fetchone()[0] == \
            "renamed during the outage"
    assert last_audit(world["warehouse"], "videos")[:3] == ("ok", 0, 1)

    free_disk(world["warehouse"])
    assert_the_rerun_loads_each_change_once(world, env)


def test_a_full_warehouse_disk_refusing_even_the_audit_is_one_clear_line_and_nothing_moves(world):
    """The whole disk is full: every raw table and the ops tables (cursors, audit, quarantine) refuse rows. Each
    table's failure is still reported (not mistaken for a lost connection), no cursor moves, the rerun is exact."""
    env = {"WAREHOUSE_URL": world["warehouse"], "APP_DB_URL": world["app"]}
    first = run_cli("ingest", "--source", "app", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    an_hour_of_app_traffic(world["app"])
    before, cursors_before = messages_state(world["warehouse"]), cursors(world["warehouse"])
    fill_disk(world["warehouse"], [f"raw_app.{table}" for table in APP_TABLES]
              + ["ops.load_state", "ops.load_audit", "ops.quarantine"])

    full = run_cli("ingest", "--source", "app", env=env)
    line = one_clear_line(full)
    for text in (f"{len(APP_TABLES)} load(s) failed", "the warehouse is out of disk space", "SQLSTATE 53100",
                 "ops.load_audit row could not be written"):  # every table reported, the audit's failure too
        assert text in line, line
    assert "lost the connection" not in full.stdout + full.stderr
    assert messages_state(world["warehouse"]) == before and cursors(world["warehouse"]) == cursors_before
    with connect(world["warehouse"]) as conn:
        assert conn.execute("SELECT title FROM raw_app.videos WHERE id = 1").fetchone()[0] != \
            "renamed during the outage"

    free_disk(world["warehouse"])
    assert_the_rerun_loads_each_change_once(world, env)
