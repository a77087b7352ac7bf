"""App-database ingestion: exactly once, idempotent, drift-aware, nothing lost (quarantine), audited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from demo.app_world import advance_app_world, generate_app_world
from ingestion.app_db import APP_TABLES, load_app_tables
from ingestion.app_db.schema import READ_BY_MARTS
from reelhouse.warehouse import connect

TABLES = ("users", "videos", "credit_transactions", "video_progress", "messages")


def fingerprint(url: str, schema: str, table: str, columns: list[str]) -> tuple[int, str]:
    cols = ", ".join(columns)
    with connect(url) as conn:
        return conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(row({cols})::text, '|' ORDER BY id), '')) "
            f"FROM {schema}.{table} WHERE {'_deleted_in_source_at IS NULL' if schema == 'raw_app' else 'true'}"
        ).fetchone()


def source_columns(url: str, table: str) -> list[str]:
    with connect(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
            " ORDER BY ordinal_position", (table,)).fetchall()]


def raw_indexes(warehouse: str, table: str) -> set[str]:
    with connect(warehouse) as conn:
        return {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'raw_app' "
                                           "AND tablename = %s", (table,)).fetchall()}


def assert_raw_equals_source(source: str, warehouse: str, tables=TABLES) -> None:
    for table in tables:
        columns = source_columns(source, table)
        assert fingerprint(source, "public", table, columns) == fingerprint(warehouse, "raw_app", table, columns), table


@pytest.fixture()
def world(fresh_database, scratch_warehouse, demo_world):
    source = fresh_database("ingest_source")
    generate_app_world(source, users=150, days=20, seed=11, as_of=demo_world["as_of"])
    return {"source": source, **scratch_warehouse("ingest_warehouse")}


def test_first_load_copies_every_table_and_audits_it(world):
    results = load_app_tables(world["source"], world["loader"])
    assert results and all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert {r.table for r in results} == set(APP_TABLES)  # every table of the app, each declared as an asset
    assert_raw_equals_source(world["source"], world["owner"])
    with connect(world["owner"]) as conn:
        audits = conn.execute("SELECT count(*), sum(rows_inserted) FROM ops.load_audit WHERE status = 'ok'").fetchone()
        cursors = conn.execute("SELECT count(*) FROM ops.load_state WHERE source = 'app'").fetchone()[0]
    assert audits == (len(APP_TABLES), sum(r.inserted for r in results))
    assert cursors == len(APP_TABLES)
    for table in TABLES:
        read_by_marts = {f"{table}__{column}_idx" for column in READ_BY_MARTS.get(table, ())}
        assert raw_indexes(world["owner"], table) == {f"{table}_pkey", f"{table}__loaded_at_idx",
                                                      f"{table}__updated_at_idx", *read_by_marts}, table
    assert raw_indexes(world["owner"], "credit_transactions") >= {"credit_transactions__user_id_idx"}


def _analyze_state(warehouse: str) -> dict[str, tuple[object, int]]:
    """raw_app table -> (last manual ANALYZE, live rows), for tables that hold rows."""
    with connect(warehouse) as conn:
        return {name: (analyzed, rows) for name, analyzed, rows in conn.execute(
            "SELECT relname, last_analyze, n_live_tup FROM pg_stat_user_tables"
            " WHERE schemaname = 'raw_app' AND n_live_tup > 0").fetchall()}


def test_a_first_load_analyzes_its_tables_and_a_small_delta_does_not(world):
    """dbt runs right after a load: the planner needs statistics then, not when autovacuum gets round to it."""
    load_app_tables(world["source"], world["loader"])
    first = _analyze_state(world["owner"])
    assert first and all(analyzed is not None for analyzed, _ in first.values()), first
    advance_app_world(world["source"], hours=1)
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"])}
    second = _analyze_state(world["owner"])
    small = [table for table, (_, rows) in first.items()
             if 0 <= results[table].inserted + results[table].updated + results[table].deleted < 0.1 * rows]
    assert small  # most tables change by far less than 10% in an hour
    assert [table for table in small if second[table][0] != first[table][0]] == []


def test_incremental_moves_only_changed_rows_and_rereads_are_no_ops(world):
    load_app_tables(world["source"], world["loader"])
    with connect(world["owner"]) as conn:
        before = dict(conn.execute("SELECT id, xmin::text FROM raw_app.users").fetchall())
    advance_app_world(world["source"], hours=12)
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"], overlap=timedelta(minutes=10))}
    assert_raw_equals_source(world["source"], world["owner"])
    with connect(world["source"]) as conn:
        changed_users = conn.execute(
            "SELECT count(*) FROM users WHERE updated_at >= %s::timestamptz - interval '10 minutes'",
            (results["users"].cursor_before["updated_at"],)).fetchone()[0]
    with connect(world["owner"]) as conn:
        after = dict(conn.execute("SELECT id, xmin::text FROM raw_app.users").fetchall())
    rewritten = sum(1 for user_id, xmin in before.items() if after[user_id] != xmin)
    assert 0 < results["users"].inserted + results["users"].updated <= changed_users
    assert rewritten == results["users"].updated
    again = load_app_tables(world["source"], world["loader"])
    assert sum(r.inserted + r.updated for r in again) == 0
    with connect(world["owner"]) as conn:
        assert dict(conn.execute("SELECT id, xmin::text FROM raw_app.users").fetchall()) == after


def test_sigkill_mid_load_then_rerun_leaves_no_duplicates_and_no_gaps(world, tmp_path):
    """The child pauses inside its third batch's transaction, after that batch's rows and cursor are written but
    before they commit, so the kill always lands there: two batches committed, one in flight (a load that was
    merely fast once finished before a polling test could kill it)."""
    paused = tmp_path / "paused"
    script = textwrap.dedent(f"""
        import pathlib, time
        from ingestion.app_db import load_app_tables, loader
        write_cursor, calls = loader.write_cursor, []

        def write_then_pause_on_the_third_batch(*args, **kwargs):
            write_cursor(*args, **kwargs)
            calls.append(1)
            if len(calls) == 3:
                pathlib.Path({str(paused)!r}).touch()
                time.sleep(600)

        loader.write_cursor = write_then_pause_on_the_third_batch
        load_app_tables({world['source']!r}, {world['loader']!r}, tables=["messages"], batch_rows=50)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 120
        while not paused.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert paused.exists(), "the loader never reached its third batch"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    with connect(world["owner"]) as conn:
        partial = conn.execute("SELECT count(*) FROM raw_app.messages").fetchone()[0]
        committed = conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'messages'").fetchone()
    with connect(world["source"]) as conn:
        total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert committed is not None, "the first two batches' cursor must have committed"
    assert partial == 100, "exactly the two committed batches survive; the third one's rows died with it"
    assert 0 < partial < total, "the kill must land mid-load for this test to mean anything"
    load_app_tables(world["source"], world["loader"], tables=["messages"])
    assert_raw_equals_source(world["source"], world["owner"], tables=("messages",))
    read_by_marts = {f"messages__{column}_idx" for column in READ_BY_MARTS.get("messages", ())}
    assert raw_indexes(world["owner"], "messages") == {"messages_pkey", "messages__loaded_at_idx",
                                                       "messages__updated_at_idx", *read_by_marts}


def test_new_column_appears_retyped_column_stops_only_that_table(world):
    load_app_tables(world["source"], world["loader"])
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("ALTER TABLE templates ADD COLUMN locale text DEFAULT 'en'")
        conn.execute("UPDATE templates SET updated_at = now() - interval '1 hour' WHERE id = 1")
        conn.execute("ALTER TABLE exports ALTER COLUMN render_seconds TYPE double precision")
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"])}
    assert results["templates"].ok
    with connect(world["owner"]) as conn:
        assert conn.execute("SELECT locale FROM raw_app.templates WHERE id = 1").fetchone()[0] == "en"
    assert not results["exports"].ok
    assert "exports.render_seconds" in results["exports"].error
    assert all(r.ok for name, r in results.items() if name != "exports")
    with connect(world["owner"]) as conn:
        failed = conn.execute("SELECT error FROM ops.load_audit WHERE table_name = 'exports' AND status = 'failed'")
        assert "render_seconds" in failed.fetchone()[0]


def test_bad_rows_are_quarantined_with_reason_and_payload_then_load_once_fixed(world):
    load_app_tables(world["source"], world["loader"])
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("ALTER TABLE videos DROP CONSTRAINT videos_provider_check")
        conn.execute("UPDATE videos SET provider = 'SORA_X', updated_at = now() WHERE id = 1")
        conn.execute("UPDATE videos SET credits_used = -5, updated_at = now() WHERE id = 2")
        conn.execute("UPDATE videos SET created_at = now() + interval '3 days', updated_at = now() WHERE id = 3")
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"], tables=["videos"])}
    assert results["videos"].quarantined == 3
    with connect(world["owner"]) as conn:
        quarantined = dict(conn.execute(
            "SELECT primary_key, reason FROM ops.quarantine WHERE table_name = 'videos'").fetchall())
        payload = conn.execute("SELECT payload->>'provider' FROM ops.quarantine WHERE primary_key = '1'").fetchone()
        raw_provider = conn.execute("SELECT provider FROM raw_app.videos WHERE id = 1").fetchone()[0]
        audit = conn.execute("SELECT rows_quarantined FROM ops.load_audit WHERE table_name = 'videos' "
                             "ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert quarantined["1"].startswith("unknown provider") and quarantined["2"] == "negative credits_used"
    assert quarantined["3"].startswith("created_at is in the future")
    assert payload == ("SORA_X",) and raw_provider != "SORA_X" and audit == 3
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("UPDATE videos SET provider = 'LUMA_V2', updated_at = now() WHERE id = 1")
    load_app_tables(world["source"], world["loader"], tables=["videos"])
    with connect(world["owner"]) as conn:
        assert conn.execute("SELECT provider FROM raw_app.videos WHERE id = 1").fetchone()[0] == "LUMA_V2"


def test_bad_rows_in_a_first_load_are_quarantined_and_the_rest_loads(world):
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_type_check")
        conn.execute("UPDATE credit_transactions SET type = 'gift' WHERE id = 1")
        conn.execute("UPDATE credit_transactions SET amount_usd_cents = -1 WHERE id = 2")
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"],
                                                   tables=["credit_transactions"], batch_rows=500)}
    assert results["credit_transactions"].ok and results["credit_transactions"].quarantined == 2
    with connect(world["owner"]) as conn:
        quarantined = dict(conn.execute("SELECT primary_key, reason FROM ops.quarantine").fetchall())
        payload = conn.execute("SELECT payload->>'type' FROM ops.quarantine WHERE primary_key = '1'").fetchone()[0]
        loaded = conn.execute("SELECT count(*), count(*) FILTER (WHERE id IN (1, 2)) FROM raw_app.credit_transactions"
                              ).fetchone()
    with connect(world["source"]) as conn:
        total = conn.execute("SELECT count(*) FROM credit_transactions").fetchone()[0]
    assert quarantined["1"].startswith("unknown type") and quarantined["2"] == "negative amount_usd_cents"
    assert payload == "gift"
    assert loaded == (total - 2, 0)
    assert results["credit_transactions"].inserted == total - 2


def test_two_runs_at_once_load_each_row_once(world):
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: load_app_tables(world["source"], world["loader"], tables=list(TABLES),
                                                       batch_rows=1000), range(2)))
    assert all(r.ok for results in runs for r in results), [r.error for results in runs for r in results]
    assert sum(r.inserted for results in runs for r in results if r.table == "messages") == \
        fingerprint(world["source"], "public", "messages", ["id"])[0]
    assert_raw_equals_source(world["source"], world["owner"])


def test_hard_deletes_are_reconciled_and_soft_deletes_carried(world):
    """A hard delete is marked in raw and lands (its `_loaded_at` moves): the marts rebuilding what landed since
    their last build see it through the base_ staging models."""
    load_app_tables(world["source"], world["loader"])
    with connect(world["owner"]) as conn:
        landed_before = conn.execute("SELECT max(_loaded_at) FROM raw_app.project_memory").fetchone()[0]
    with connect(world["source"], autocommit=True) as conn:
        victim = conn.execute("SELECT id FROM project_memory WHERE source_asset_id IS NULL AND id NOT IN "
                              "(SELECT source_asset_id FROM project_memory WHERE source_asset_id IS NOT NULL) "
                              "LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM project_memory WHERE id = %s", (victim,))
        conn.execute("UPDATE scenes SET deleted_at = now() - interval '1 minute', updated_at = now() WHERE id = 1")
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"], reconcile=True)}
    assert results["project_memory"].deleted == 1
    with connect(world["owner"]) as conn:
        assert conn.execute("SELECT _deleted_in_source_at IS NOT NULL AND _loaded_at > %s"
                            " FROM raw_app.project_memory WHERE id = %s", (landed_before, victim)).fetchone()[0]
        assert conn.execute("SELECT deleted_at IS NOT NULL FROM raw_app.scenes WHERE id = 1").fetchone()[0]


def test_a_hard_deleted_row_that_comes_back_unchanged_lands_again(world):
    """The marts read what landed since their last build: a returner keeping its old `_loaded_at` would stay
    missing from every incremental fact until a full refresh."""
    load_app_tables(world["source"], world["loader"])
    with connect(world["source"], autocommit=True) as conn:
        row = conn.execute("SELECT * FROM messages ORDER BY id LIMIT 1").fetchone()
        columns = [c.name for c in conn.execute("SELECT * FROM messages LIMIT 0").description]
        conn.execute("DELETE FROM messages WHERE id = %s", (row[0],))
    load_app_tables(world["source"], world["loader"], reconcile=True)
    with connect(world["owner"]) as conn:
        gone_at = conn.execute("SELECT _loaded_at FROM raw_app.messages WHERE id = %s AND _deleted_in_source_at "
                               "IS NOT NULL", (row[0],)).fetchone()[0]
    with connect(world["source"], autocommit=True) as conn:
        conn.execute(f"INSERT INTO messages ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", row)
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"], reconcile=True)}
    assert results["messages"].inserted == results["messages"].updated == 0  # unchanged: only the reconcile sees it
    with connect(world["owner"]) as conn:
        back_at, deleted = conn.execute("SELECT _loaded_at, _deleted_in_source_at FROM raw_app.messages "
                                        "WHERE id = %s", (row[0],)).fetchone()
    assert deleted is None and back_at > gone_at


def test_unreachable_source_is_a_clear_error_without_the_password(world):
    from reelhouse.errors import ReelhouseError

    with pytest.raises(ReelhouseError) as caught:
        load_app_tables("postgresql://app:s3cretpw@127.0.0.1:9/app", world["loader"])
    assert "s3cretpw" not in str(caught.value) and "cannot connect" in str(caught.value)


def test_export_logs_contract_quarantines_bad_rows_and_the_cleanup_is_a_hard_delete(world):
    """The Creator Dashboard doc's export_logs: unknown formats or statuses and negative sizes are quarantined with
    their reason; the app's 30-day cleanup deletes rows, which a reconciling load marks deleted in raw (staging keeps
    them)."""
    with connect(world["source"], autocommit=True) as conn:  # four logs at least: copies of the first one
        first = conn.execute("SELECT min(id) FROM export_logs").fetchone()[0]
        conn.execute("INSERT INTO export_logs SELECT id + n, creator_id, export_type, format, file_url,"
                     " file_size_bytes, filters, status, error_message, created_at, updated_at, completed_at"
                     " FROM export_logs, generate_series(100000, 100003) AS n WHERE id = %s", (first,))
        ids = [r[0] for r in conn.execute("SELECT id FROM export_logs ORDER BY id DESC LIMIT 4").fetchall()]
    load_app_tables(world["source"], world["loader"], tables=["export_logs"])
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("ALTER TABLE export_logs DROP CONSTRAINT export_logs_format_check")
        conn.execute("ALTER TABLE export_logs DROP CONSTRAINT export_logs_status_check")
        conn.execute("UPDATE export_logs SET format = 'docx', updated_at = now() WHERE id = %s", (ids[0],))
        conn.execute("UPDATE export_logs SET status = 'exploded', updated_at = now() WHERE id = %s", (ids[1],))
        conn.execute("UPDATE export_logs SET file_size_bytes = -1, updated_at = now() WHERE id = %s", (ids[2],))
        conn.execute("DELETE FROM export_logs WHERE id = %s", (ids[3],))
    results = {r.table: r for r in load_app_tables(world["source"], world["loader"], tables=["export_logs"],
                                                   reconcile=True)}
    assert results["export_logs"].quarantined == 3 and results["export_logs"].deleted == 1
    with connect(world["owner"]) as conn:
        reasons = dict(conn.execute(
            "SELECT primary_key, reason FROM ops.quarantine WHERE table_name = 'export_logs'").fetchall())
        purged = conn.execute("SELECT _deleted_in_source_at IS NOT NULL FROM raw_app.export_logs WHERE id = %s",
                              (ids[3],)).fetchone()[0]
    assert reasons[str(ids[0])].startswith("unknown format")
    assert reasons[str(ids[1])].startswith("unknown status")
    assert reasons[str(ids[2])] == "negative file_size_bytes"
    assert purged
