"""Faults in the app database as the loader sees them: a renamed column, rows stamped in the future (clock
skew), rows committed later than the overlap window (late rows). The SIGKILL mid-batch, added/retyped column, bad
rows and two concurrent runs are in tests/ingestion/test_app_db_loader.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from psycopg import sql

from demo.app_world import generate_app_world
from ingestion.app_db import load_app_tables
from reelhouse.warehouse import admin_url, connect

TEMPLATE = "reliability_app_template"


@pytest.fixture(scope="module")
def app_template(fresh_database, demo_world) -> str:
    """A small app world, generated once; each test gets its own copy."""
    url = fresh_database(TEMPLATE)
    generate_app_world(url, users=120, days=14, seed=29, as_of=demo_world["as_of"])
    return url


@pytest.fixture()
def world(app_template, scratch_warehouse, request) -> dict[str, str]:
    name = f"reliability_app_{request.node.name[5:40]}"
    with connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(TEMPLATE)))
    return {"source": admin_url(name), **scratch_warehouse(f"{name}_wh")}


def by_table(results) -> dict:
    return {r.table: r for r in results}


def raw_rows(world: dict, table: str, columns: str) -> dict:
    with connect(world["owner"]) as conn:
        return {row[0]: row[1:] for row in conn.execute(f"SELECT id, {columns} FROM raw_app.{table}")}


def test_a_renamed_source_column_stops_only_that_table_naming_the_column(world):
    assert all(r.ok for r in load_app_tables(world["source"], world["loader"]))
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("ALTER TABLE templates RENAME COLUMN name TO title")
        conn.execute("UPDATE templates SET updated_at = now() - interval '1 minute' WHERE id = 1")
        conn.execute("UPDATE videos SET updated_at = now() - interval '1 minute' WHERE id = 1")
    before = raw_rows(world, "templates", "name, _loaded_at")
    with connect(world["owner"]) as conn:
        cursor_before = conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'templates'").fetchone()
    results = by_table(load_app_tables(world["source"], world["loader"]))
    assert not results["templates"].ok
    assert "templates.name" in results["templates"].error and "renamed" in results["templates"].error
    assert all(r.ok for name, r in results.items() if name != "templates")  # the other 24 tables load
    assert results["videos"].updated == 1
    assert raw_rows(world, "templates", "name, _loaded_at") == before  # raw keeps its history untouched
    with connect(world["owner"]) as conn:
        assert conn.execute("SELECT cursor FROM ops.load_state WHERE table_name = 'templates'").fetchone() == \
            cursor_before
        audit = conn.execute("SELECT status, error FROM ops.load_audit WHERE table_name = 'templates'"
                             " ORDER BY id DESC LIMIT 1").fetchone()
    assert audit[0] == "failed" and "templates.name" in audit[1]


def test_a_row_stamped_in_the_future_is_quarantined_and_does_not_drag_the_cursor(world):
    """Clock skew on an app server: one row's updated_at is two days ahead. It must not load, and it must not
    move the cursor past the present, or every honest change until then would be skipped."""
    load_app_tables(world["source"], world["loader"], tables=["videos"])
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("UPDATE videos SET title = 'from the future', updated_at = now() + interval '2 days'"
                     " WHERE id = 5")
        source_now = conn.execute("SELECT now()").fetchone()[0]
    skewed = by_table(load_app_tables(world["source"], world["loader"], tables=["videos"]))["videos"]
    assert skewed.ok and skewed.quarantined == 1
    assert datetime.fromisoformat(skewed.cursor_after["updated_at"]) <= source_now + timedelta(minutes=1)
    with connect(world["owner"]) as conn:
        reason = conn.execute("SELECT reason FROM ops.quarantine WHERE table_name = 'videos' AND primary_key = '5'"
                              ).fetchone()[0]
    assert reason.startswith("updated_at is in the future")
    assert raw_rows(world, "videos", "title")[5] != ("from the future",)

    with connect(world["source"], autocommit=True) as conn:  # an honest change right after
        conn.execute("UPDATE videos SET title = 'an honest edit', updated_at = now() WHERE id = 6")
    load_app_tables(world["source"], world["loader"], tables=["videos"])
    assert raw_rows(world, "videos", "title")[6] == ("an honest edit",)


def test_a_row_committed_later_than_the_overlap_window_is_recovered_by_a_full_refresh(world):
    load_app_tables(world["source"], world["loader"], tables=["messages"])
    late_id = insert_late_message(world["source"])
    load_app_tables(world["source"], world["loader"], tables=["messages"])  # the hourly run
    load_app_tables(world["source"], world["loader"], tables=["messages"], full_refresh=True, reconcile=True)
    assert late_id in raw_rows(world, "messages", "updated_at")


def test_a_row_committed_later_than_the_overlap_window_is_loaded_by_the_next_hourly_run(world):
    """A new message and an edit of an old one, each stamped an hour or two before the newest row but committed
    only now (a long transaction): the next incremental load finds both in its late-row window, leaves the cursor
    where it was, and the run after that moves nothing."""
    load_app_tables(world["source"], world["loader"], tables=["messages"])
    late_id = insert_late_message(world["source"])
    with connect(world["source"], autocommit=True) as conn:
        edited_id = conn.execute(
            "UPDATE messages SET content = 'edited in a long transaction',"
            " updated_at = (SELECT max(updated_at) FROM messages) - interval '2 hours'"
            " WHERE id = (SELECT min(id) FROM messages) RETURNING id").fetchone()[0]
    hourly = by_table(load_app_tables(world["source"], world["loader"], tables=["messages"]))["messages"]
    assert hourly.ok and (hourly.late, hourly.inserted, hourly.updated) == (2, 1, 1)
    assert hourly.cursor_after == hourly.cursor_before  # late rows lie behind the cursor: it does not go back
    with connect(world["source"]) as conn:
        source = {row[0]: row[1:] for row in conn.execute(
            "SELECT id, content, updated_at FROM messages WHERE id IN (%s, %s)", (late_id, edited_id))}
    loaded = raw_rows(world, "messages", "content, updated_at")
    assert {key: loaded[key] for key in (late_id, edited_id)} == source

    again = by_table(load_app_tables(world["source"], world["loader"], tables=["messages"]))["messages"]
    assert (again.late, again.inserted, again.updated, again.quarantined) == (0, 0, 0, 0)


def test_a_late_row_that_breaks_a_contract_is_quarantined_once_not_on_every_run(world):
    load_app_tables(world["source"], world["loader"], tables=["videos"])
    with connect(world["source"], autocommit=True) as conn:
        bad_id = conn.execute(
            "UPDATE videos SET credits_used = -5, updated_at = (SELECT max(updated_at) FROM videos) - interval '1 hour'"
            " WHERE id = (SELECT min(id) FROM videos) RETURNING id").fetchone()[0]
    first = by_table(load_app_tables(world["source"], world["loader"], tables=["videos"]))["videos"]
    second = by_table(load_app_tables(world["source"], world["loader"], tables=["videos"]))["videos"]
    assert (first.late, first.quarantined, second.late, second.quarantined) == (1, 1, 0, 0)
    with connect(world["owner"]) as conn:
        filed = conn.execute("SELECT reason FROM ops.quarantine WHERE table_name = 'videos' AND primary_key = %s",
                             (str(bad_id),)).fetchall()
    assert filed == [("negative credits_used",)]
    assert raw_rows(world, "videos", "credits_used")[bad_id] != (-5,)


def test_a_late_row_in_a_table_keyed_on_text_and_int_columns_is_loaded_too(world):
    """The late-row check passes keys back to the source as typed arrays, one per key column."""
    with connect(world["source"], autocommit=True) as conn:
        conn.execute("CREATE TABLE feature_flags (workspace text, flag_no integer, enabled boolean NOT NULL,"
                     " updated_at timestamptz NOT NULL, PRIMARY KEY (workspace, flag_no))")
        conn.execute("INSERT INTO feature_flags SELECT 'ws ' || (g % 7), g, g % 2 = 0,"
                     " now() - make_interval(mins => g) FROM generate_series(1, 300) g")
    load_app_tables(world["source"], world["loader"], tables=["feature_flags"])
    with connect(world["source"], autocommit=True) as conn:  # stamped 3 hours back, committed now
        conn.execute("INSERT INTO feature_flags VALUES ('late, \"quoted\" ws', 7, true, now() - interval '3 hours')")
        conn.execute("UPDATE feature_flags SET enabled = NOT enabled, updated_at = now() - interval '4 hours'"
                     " WHERE (workspace, flag_no) = ('ws 1', 1)")
    late = by_table(load_app_tables(world["source"], world["loader"], tables=["feature_flags"]))["feature_flags"]
    assert late.ok and (late.late, late.inserted, late.updated) == (2, 1, 1)
    query = "SELECT workspace, flag_no, enabled, updated_at FROM {} ORDER BY 1, 2"
    with connect(world["source"]) as source, connect(world["owner"]) as raw:
        assert raw.execute(query.format("raw_app.feature_flags")).fetchall() == \
            source.execute(query.format("feature_flags")).fetchall()


def test_a_late_row_older_than_the_late_window_waits_for_a_full_refresh(world):
    """The window is a bound, not a promise: a row stamped before it is left to the full refresh."""
    load_app_tables(world["source"], world["loader"], tables=["messages"])
    late_id = insert_late_message(world["source"])  # an hour behind the newest row
    hourly = by_table(load_app_tables(world["source"], world["loader"], tables=["messages"],
                                      late_window=timedelta(minutes=30)))["messages"]
    assert hourly.late == 0 and late_id not in raw_rows(world, "messages", "updated_at")
    load_app_tables(world["source"], world["loader"], tables=["messages"], full_refresh=True)
    assert late_id in raw_rows(world, "messages", "updated_at")


def insert_late_message(source: str) -> int:
    """A message whose transaction stamped it an hour before the newest row but committed only now."""
    with connect(source, autocommit=True) as conn:
        columns = [row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = 'messages' AND column_name NOT IN ('id', 'created_at', 'updated_at')")]
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        return conn.execute(sql.SQL(
            "INSERT INTO messages (id, {names}, created_at, updated_at) SELECT"
            " (SELECT max(id) + 1 FROM messages), {names},"
            " (SELECT max(updated_at) FROM messages) - interval '1 hour',"
            " (SELECT max(updated_at) FROM messages) - interval '1 hour'"
            " FROM messages ORDER BY id LIMIT 1 RETURNING id").format(names=names)).fetchone()[0]
