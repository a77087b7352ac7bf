"""Incremental models equal a full refresh of the same data, after several hourly deltas.

A small world is generated, loaded and built; then it advances three times and each delta is
loaded and built incrementally, the reporting clock moving with the world, and the marts are published after
each build the way the pipeline does — so each build starts from the copy published two builds ago and must
catch up. One delta also brings a late row: changed in the app but stamped 10 days back, older than the
lookback, as a backfill or a full ingestion refresh brings it, and four tables lose a column they keep, as a
warehouse built by an older release lacks it (they must be built in full once); another deletes a user and an
old video of someone else in the app, a scene and an edit of another scene, every action of a day and every action
of a student, a video's visit to the ready page and another's action there, which an incremental model that
rebuilds only what changed must notice, and a view, which leaves fct_video_views with a full refresh of that fact
alone (the retention curves, adjusted by the versions written and retired since, must rebuild its video: its
newest landing goes back).
Every incremental model is then fingerprinted, rebuilt with --full-refresh at the same clock and fingerprinted
again.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from demo.app_world import advance_app_world, generate_app_world
from ingestion.app_db import load_app_tables
from ingestion.costs import load_costs
from reelhouse.warehouse import connect
from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA, STORE_SCHEMA, publish_marts

START = datetime.fromisoformat("2026-10-20T00:00:00+00:00")
STEPS_HOURS = (9, 15, 30)  # the last step crosses day boundaries
SELECTION = "config.materialized:incremental"
# The whole test lands its rows within a minute or two of wall time, so the pipeline's one-hour lookback would
# make every incremental build re-process everything and hide a model that misses a change. With no margin
# each build sees only what landed after the copy it starts from.
NO_LOOKBACK = ("--vars", '{"incremental_lookback_hours": 0}')


# The retention curves as dbt compiled them (the run_dbt fixture's target folder).
CURVE_RUN_SQL = "target/compiled/reelhouse/models/reporting/content/video_retention_curve.sql"
# When the build that wrote a row started (macro build_stamp): it differs between two builds of the same rows.
BUILD_STAMP = "built_at"


def fingerprint(url: str, schema: str, table: str) -> tuple[int, str]:
    """Row count and an order-independent digest of every row's text, its build stamp left out."""
    with connect(url) as conn:
        columns = [name for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
            " ORDER BY ordinal_position", (schema, table)) if name != BUILD_STAMP]
        row = "row(" + ", ".join(f't."{name}"' for name in columns) + ")::text"
        return conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg({row}, '|' ORDER BY {row}), ''))"
            f' FROM "{schema}"."{table}" AS t'
        ).fetchone()


@pytest.mark.slow
def test_incremental_models_equal_a_full_refresh_after_several_deltas(fresh_database, scratch_warehouse, run_dbt,
                                                                       tmp_path):
    source = fresh_database("incremental_app")
    warehouse = scratch_warehouse("incremental_warehouse")
    generate_app_world(source, users=150, days=21, seed=23, as_of=START)
    load_costs(warehouse["loader"])
    load_app_tables(source, warehouse["loader"])
    clock = START
    run_dbt(warehouse["transformer"], clock.isoformat(), "run", "-s", f"+{SELECTION}", *NO_LOOKBACK)
    rewritten = []  # (days the build rewrote, days held) of the tier counts, after each hourly build
    adjusted = []  # whether the retention curves' build adjusted curves by the changed view versions alone
    publish_marts(warehouse["transformer"])

    for hours in STEPS_HOURS:
        advance_app_world(source, hours=hours)
        clock += timedelta(hours=hours)
        load_app_tables(source, warehouse["loader"])
        if hours == STEPS_HOURS[-1]:  # the last build starts from a copy that still has them
            deleted_user = _delete_a_user_and_an_old_video(source, clock)
            # ... and the late view changes again, now: its curve, built in full by the build before, is adjusted
            late_row = _change_a_row_with_an_old_timestamp(source, clock)
            load_app_tables(source, warehouse["loader"])
            # A view deleted in the app leaves fct_video_views with the full refresh the pipeline pairs with a full
            # resync: retired with no new version. It was its video's newest landing, which the curve must rebuild.
            _hard_delete_the_newest_view_of_a_curve(source, warehouse["owner"], keep=late_row[0])
            emptied_day = _delete_the_first_day_of_activity(source, clock)
            deleted_scene, edited_scene = _delete_a_scene_and_an_edit_of_another(source, clock)
            idle_student = _delete_every_action_of_a_student(source)
            unvisited_video = _delete_a_ready_page_visit_and_an_action_of_another(source)
            load_app_tables(source, warehouse["loader"], reconcile=True)
            run_dbt(warehouse["transformer"], clock.isoformat(), "run", "-s", "fct_video_views", "--full-refresh",
                    *NO_LOOKBACK)
        if hours == STEPS_HOURS[1]:
            late_row = _change_a_row_with_an_old_timestamp(source, clock - timedelta(days=10))
            load_app_tables(source, warehouse["loader"], full_refresh=True)
            _drop_the_columns_an_older_release_lacked(warehouse["owner"])
        built = run_dbt(warehouse["transformer"], clock.isoformat(), "run", "-s", f"+{SELECTION}", *NO_LOOKBACK)
        rewritten.append(_days_rewritten(warehouse["owner"], "engagement_tier_daily"))
        adjusted.append("view_versions" in (tmp_path / CURVE_RUN_SQL).read_text())
        if hours == STEPS_HOURS[1]:  # those tables were built in full once, not failed with "column does not exist"
            assert all(f'"{table}" lacks {column}' in built for table, column in OLDER_RELEASE_LACKED), built[-3000:]
        publish_marts(warehouse["transformer"])

    # The tier counts took the incremental path (rewriting the days from the first changed one) at least once, so
    # the comparison below covers it, not only full builds.
    assert any(days < held for days, held in rewritten), rewritten
    # ... and the retention curves adjusted by the view versions written and retired since their last build, in the
    # builds after the first publication and after the one that built them in full (the column they lacked).
    assert adjusted == [True, False, True], adjusted

    listed = run_dbt(warehouse["transformer"], clock.isoformat(), "ls", "-s", SELECTION, "--resource-type", "model",
                     "--output", "json", "--output-keys", "name config", "--quiet")
    nodes = [json.loads(line) for line in listed.splitlines() if line.startswith("{")]
    models = [(node["config"]["schema"], node["name"]) for node in nodes]
    assert len(models) >= 5, f"expected the big fact models to be incremental, found {models}"

    assert any(schema == BUILD_SCHEMA for schema, _ in models), models
    published = {(schema, name): (LIVE_SCHEMA if schema == BUILD_SCHEMA else schema, name) for schema, name in models}
    incremental = {model: fingerprint(warehouse["owner"], *published[model]) for model in models}
    assert all(count > 0 for count, _ in incremental.values()), incremental
    with connect(warehouse["owner"]) as conn:  # a day whose every activity was deleted is gone, not left stale
        assert conn.execute("SELECT count(*) FROM intermediate.int_user_daily_activity WHERE activity_date = %s",
                            (emptied_day,)).fetchone()[0] == 0
        # ... and a student whose every view, question and quiz attempt was deleted (an answer of the assistant left)
        assert conn.execute("SELECT count(*) FROM intermediate.int_student_daily_activity WHERE student_id = %s",
                            (idle_student,)).fetchone()[0] == 0
        # ... and a video whose arrival on the ready page was deleted
        assert conn.execute("SELECT count(*) FROM intermediate.int_video_ready_visits WHERE video_id = %s",
                            (unvisited_video,)).fetchone()[0] == 0

    # The models' unit tests still compile and pass against a warehouse whose incremental models have built (their
    # build log exists: a unit test's `this` is a fixture, which no macro reading the store may take for a relation).
    run_dbt(warehouse["transformer"], clock.isoformat(), "test", "-s", "test_type:unit,config.materialized:incremental")

    # Into marts_next, with what they read: that schema holds the build before the last, and an incremental model
    # reading a calendar or dimension (the engagement facts) must be compared at the same clock.
    run_dbt(warehouse["transformer"], clock.isoformat(), "run", "-s", f"+{SELECTION}", "--full-refresh")
    rebuilt = {model: fingerprint(warehouse["owner"], *model) for model in models}
    differing = [model for model in models if incremental[model] != rebuilt[model]]
    assert not differing, {model: (incremental[model], rebuilt[model]) for model in differing}
    with connect(warehouse["owner"]) as conn:  # the late change (the last one) itself is in the published fact
        assert conn.execute("SELECT watch_fraction * 100 FROM marts.fct_video_views WHERE view_id = %s",
                            (late_row[0],)).fetchone()[0] == late_row[1]
        # ... and the deletions in the engagement fact: the deleted user is gone, the video's owner has one fewer
        assert conn.execute("SELECT count(*) FROM marts.fct_user_engagement_spells WHERE user_id = %s",
                            (deleted_user,)).fetchone()[0] == 0
        # ... and in the scene outcomes, which rebuild only the scenes landed since: the soft-deleted scene is gone,
        # the other one counts one edit fewer than the app had before the hard delete
        outcomes = dict(conn.execute("SELECT scene_id, iterations FROM marts.scene_iteration_outcomes"
                                     " WHERE scene_id IN (%s, %s)", (deleted_scene, edited_scene[0])).fetchall())
        assert outcomes == {edited_scene[0]: edited_scene[1] - 1}, outcomes


def _days_rewritten(url: str, model: str) -> tuple[int, int]:
    """Days of a versioned model that its newest build wrote, and days it holds (the build schema's latest versions)."""
    with connect(url) as conn:
        table = f"{STORE_SCHEMA}.{model}"
        return conn.execute(
            f"SELECT count(DISTINCT date_day) FILTER (WHERE built_at = (SELECT max(built_at) FROM {table})),"  # noqa: S608
            f" count(DISTINCT date_day) FROM {table} WHERE retired_at IS NULL").fetchone()


# Columns that incremental models read back from their own table and that a warehouse built by an older release
# does not have yet (the model was a plain table, or kept less): an upgrade must still build.
OLDER_RELEASE_LACKED = (("active_users_daily", "active_users_checksum"), ("video_retention_curve", "views_loaded_at"),
                        ("fct_student_engagement_spells", "activity_loaded_at"))


def _drop_the_columns_an_older_release_lacked(owner: str) -> None:
    """From the model's store table, which holds its rows; the views over it (in both mart schemas) go too, as a
    release without the column had none showing it."""
    with connect(owner, autocommit=True) as conn:
        for table, column in OLDER_RELEASE_LACKED:
            conn.execute(f'ALTER TABLE {STORE_SCHEMA}."{table}" DROP COLUMN "{column}" CASCADE')


def _change_a_row_with_an_old_timestamp(source: str, stamped: datetime) -> tuple[int, float]:
    with connect(source, autocommit=True) as conn:
        return conn.execute(
            "UPDATE video_progress SET watch_percentage = 100 - watch_percentage, updated_at = %s"
            " WHERE id = (SELECT min(id) FROM video_progress WHERE watch_percentage <> 50)"
            " RETURNING id, watch_percentage", (stamped,)).fetchone()


def _hard_delete_the_newest_view_of_a_curve(source: str, owner: str, keep: int) -> int:
    """Delete in the app the view that landed last of a video with a retention curve and other, older views, none of
    whose views landed since."""
    with connect(owner) as conn:
        view_id = conn.execute(
            f"SELECT v.view_id FROM {LIVE_SCHEMA}.fct_video_views v"  # noqa: S608
            f" WHERE v.view_id <> %s AND v.video_id IN (SELECT video_id FROM {LIVE_SCHEMA}.video_retention_curve)"
            f" AND v.loaded_at > (SELECT max(o.loaded_at) FROM {LIVE_SCHEMA}.fct_video_views o"
            "  WHERE o.video_id = v.video_id AND o.view_id <> v.view_id)"
            " AND NOT EXISTS (SELECT 1 FROM raw_app.video_progress r WHERE r.video_id = v.video_id"
            "  AND r._loaded_at > v.loaded_at)"  # and nothing of its video landed since (a newer view)
            " ORDER BY v.view_id LIMIT 1", (keep,)).fetchone()[0]
    with connect(source, autocommit=True) as conn:
        assert conn.execute("DELETE FROM video_progress WHERE id = %s", (view_id,)).rowcount == 1
    return view_id


def _delete_the_first_day_of_activity(source: str, now: datetime) -> date:
    """Delete in the app every user action of the first (UTC) day with one: its videos soft-deleted, its prompts,
    exports (with their analytics) and scene edits hard-deleted. The day the activity model holds must go, though no
    row of it is rebuilt."""
    with connect(source, autocommit=True) as conn:
        day = conn.execute("SELECT min((created_at AT TIME ZONE 'UTC')::date) FROM videos WHERE deleted_at IS NULL"
                           ).fetchone()[0]
        on_day = "(created_at AT TIME ZONE 'UTC')::date = %(day)s"
        conn.execute(f"DELETE FROM export_analytics WHERE export_id IN (SELECT id FROM exports WHERE {on_day})",
                     {"day": day})
        for table in ("exports", "scene_iterations"):
            conn.execute(f"DELETE FROM {table} WHERE {on_day}", {"day": day})
        conn.execute(f"DELETE FROM messages WHERE role = 'user' AND {on_day}", {"day": day})
        assert conn.execute(f"UPDATE videos SET deleted_at = %(now)s, updated_at = %(now)s WHERE {on_day}"
                            " AND deleted_at IS NULL", {"day": day, "now": now}).rowcount > 0
    return day


def _delete_a_scene_and_an_edit_of_another(source: str, now: datetime) -> tuple[int, tuple[int, int]]:
    """Soft-delete the oldest scene with edits, and hard-delete the newest edit of the oldest other scene with two or
    more (a deletion the reconciling load marks). Returns the deleted scene and (the other scene, its edits
    before)."""
    with connect(source, autocommit=True) as conn:
        scene_id = conn.execute(
            "UPDATE scenes SET deleted_at = %(now)s, updated_at = %(now)s WHERE id = (SELECT min(i.scene_id)"
            " FROM scene_iterations i JOIN scenes s ON s.id = i.scene_id AND s.deleted_at IS NULL) RETURNING id",
            {"now": now}).fetchone()[0]
        edited = conn.execute(
            "SELECT scene_id, count(*) FROM scene_iterations WHERE scene_id <> %s AND scene_id IN"
            " (SELECT id FROM scenes WHERE deleted_at IS NULL) GROUP BY scene_id HAVING count(*) >= 2"
            " ORDER BY scene_id LIMIT 1", (scene_id,)).fetchone()
        assert conn.execute("DELETE FROM scene_iterations WHERE id = (SELECT max(id) FROM scene_iterations"
                            " WHERE scene_id = %s)", (edited[0],)).rowcount == 1
    return scene_id, edited


def _delete_every_action_of_a_student(source: str) -> int:
    """Hard-delete every view, chat question and quiz attempt (with its answers) of the student with the most kinds of
    activity, leaving the assistant's answers: the student's activity rows must go, though none is rebuilt."""
    with connect(source, autocommit=True) as conn:
        student_id = conn.execute(
            "SELECT s.id FROM students s WHERE EXISTS (SELECT 1 FROM chat_messages c WHERE c.student_id = s.id"
            " AND c.role = 'assistant') ORDER BY (SELECT count(*) FROM quiz_attempts q WHERE q.student_id = s.id) > 0"
            " DESC, (SELECT count(*) FROM video_progress v WHERE v.student_id = s.id) DESC, s.id LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM quiz_answers WHERE attempt_id IN"
                     " (SELECT id FROM quiz_attempts WHERE student_id = %s)", (student_id,))
        for table in ("quiz_attempts", "video_progress"):
            conn.execute(f"DELETE FROM {table} WHERE student_id = %s", (student_id,))  # noqa: S608
        assert conn.execute("DELETE FROM chat_messages WHERE student_id = %s AND role = 'user'",
                            (student_id,)).rowcount > 0
    return student_id


def _delete_a_ready_page_visit_and_an_action_of_another(source: str) -> int:
    """Hard-delete every ready-page event of the oldest video that has an action there, and the oldest action of the
    next such video: the first video's visit must go, the other's actions be recounted."""
    with connect(source, autocommit=True) as conn:
        videos = [video for (video,) in conn.execute(
            "SELECT video_id FROM video_ready_events WHERE event_type <> 'arrived' GROUP BY video_id"
            " ORDER BY video_id LIMIT 2")]
        assert len(videos) == 2, videos
        conn.execute("DELETE FROM video_ready_events WHERE video_id = %s", (videos[0],))
        assert conn.execute("DELETE FROM video_ready_events WHERE id = (SELECT min(id) FROM video_ready_events"
                            " WHERE video_id = %s AND event_type <> 'arrived')", (videos[1],)).rowcount == 1
    return videos[0]


def _delete_a_user_and_an_old_video(source: str, now: datetime) -> int:
    """Soft-delete (as the app does) the longest-standing user with videos, and the oldest completed video of the
    newest user who has one. The video's owner is rebuilt from their late sign-up; the days before it changed only
    by the deleted user, whom no rewritten row shows (the per-day marts must notice the count)."""
    with connect(source, autocommit=True) as conn:
        user_id = conn.execute(
            "UPDATE users SET deleted_at = %(now)s, updated_at = %(now)s WHERE id = (SELECT id FROM users"
            " WHERE deleted_at IS NULL AND id IN (SELECT user_id FROM videos WHERE deleted_at IS NULL)"
            " ORDER BY created_at, id LIMIT 1) RETURNING id", {"now": now}).fetchone()[0]
        assert conn.execute(
            "UPDATE videos SET deleted_at = %(now)s, updated_at = %(now)s WHERE id = (SELECT min(v.id) FROM videos v"
            " WHERE v.deleted_at IS NULL AND v.status = 'completed' AND v.user_id = (SELECT u.id FROM users u"
            " JOIN videos c ON c.user_id = u.id AND c.deleted_at IS NULL AND c.status = 'completed'"
            " WHERE u.id <> %(user)s ORDER BY u.created_at DESC, u.id DESC LIMIT 1)) RETURNING id",
            {"now": now, "user": user_id}).rowcount == 1
    return user_id
