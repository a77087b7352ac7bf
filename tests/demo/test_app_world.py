"""The demo app database: deterministic, referentially sound, and alive (advance changes things)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from psycopg.types.json import Jsonb

from demo.app_world import advance_app_world, generate_app_world, world_exists
from demo.app_world.sink import COLUMNS
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

SEED_TABLES = set(COLUMNS)


def table_fingerprints(url: str) -> dict[str, str]:
    with connect(url) as conn:
        return {
            table: conn.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM {table} t")
            .fetchone()[0]
            for table in SEED_TABLES
        }


def test_every_product_table_exists_and_has_rows(demo_world):
    with connect(demo_world["app_url"]) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SEED_TABLES}
    assert all(counts.values()), {t: n for t, n in counts.items() if not n}
    assert counts["video_progress"] > counts["students"] > counts["creators"] > 0


def test_same_seed_same_world_other_seed_other_world(demo_world, fresh_database):
    as_of = demo_world["as_of"]
    again = fresh_database("app_determinism")
    generate_app_world(again, users=400, days=75, seed=7, as_of=as_of)
    assert table_fingerprints(again) == table_fingerprints(demo_world["app_url"])
    generate_app_world(again, users=400, days=75, seed=8, as_of=as_of)
    differing = {t for t, fp in table_fingerprints(again).items() if fp != table_fingerprints(demo_world["app_url"])[t]}
    assert {"users", "videos", "credit_transactions"} <= differing


def test_every_foreign_key_resolves(demo_world):
    with connect(demo_world["app_url"]) as conn:
        foreign_keys = conn.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
            """
        ).fetchall()
        assert len(foreign_keys) >= 30
        for child, column, parent, parent_column in foreign_keys:
            orphans = conn.execute(
                f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column})"
            ).fetchone()[0]
            assert orphans == 0, f"{child}.{column} -> {parent}"


def test_credit_ledger_is_a_running_balance_that_matches_user_credits(demo_world):
    with connect(demo_world["app_url"]) as conn:
        broken = conn.execute(
            """
            SELECT count(*) FROM (
                SELECT balance_after,
                       sum(amount) OVER (PARTITION BY user_id ORDER BY created_at, id) AS running
                FROM credit_transactions) t
            WHERE balance_after <> running
            """
        ).fetchone()[0]
        mismatched = conn.execute(
            """
            SELECT count(*) FROM user_credits uc
            JOIN LATERAL (SELECT balance_after FROM credit_transactions ct WHERE ct.user_id = uc.user_id
                          ORDER BY created_at DESC, id DESC LIMIT 1) last ON true
            WHERE uc.available_credits <> last.balance_after
            """
        ).fetchone()[0]
        negative = conn.execute("SELECT count(*) FROM credit_transactions WHERE balance_after < 0").fetchone()[0]
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT type FROM credit_transactions")}
    assert (broken, mismatched, negative) == (0, 0, 0)
    assert kinds == {"purchase", "usage", "refund", "expiration", "plan_allocation"}


def test_paywall_sessions_walk_the_steps_in_order(demo_world):
    with connect(demo_world["app_url"]) as conn:
        sessions = conn.execute(
            """
            SELECT session_id, array_agg(event_type ORDER BY created_at, id)
            FROM paywall_events GROUP BY session_id
            """
        ).fetchall()
    steps = ["viewed", "clicked_package", "initiated_checkout", "completed_purchase"]
    assert sessions
    for _, events in sessions:
        assert events == steps[: len(events)]
    completed = sum(1 for _, events in sessions if len(events) == 4)
    assert 0 < completed < len(sessions)


def test_plans_and_prices_follow_the_product_docs(demo_world):
    with connect(demo_world["app_url"]) as conn:
        allocations = dict(conn.execute(
            "SELECT plan, min(amount_usd_cents) FROM credit_transactions WHERE type = 'plan_allocation'"
            " GROUP BY plan").fetchall())
        packs = dict(conn.execute(
            "SELECT pack_id, min(amount_usd_cents) FROM credit_transactions WHERE type = 'purchase'"
            " GROUP BY pack_id").fetchall())
        providers = {r[0] for r in conn.execute("SELECT DISTINCT provider FROM videos WHERE provider IS NOT NULL")}
    assert {plan: cents for plan, cents in allocations.items() if plan != "free"} == {
        "pro": 800, "business": 2600, "enterprise": 6800}
    assert set(packs.values()) <= {800, 1800, 4500, 9000} and packs
    assert providers == {"LUMA_V1", "LUMA_V2", "KLING_V1", "KLING_V2"}


def test_advance_appends_updates_and_soft_deletes(fresh_database, demo_world):
    url = fresh_database("app_advance")
    generate_app_world(url, users=120, days=20, seed=3, as_of=demo_world["as_of"])
    with connect(url) as conn:
        before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("messages", "videos", "users")}
        created = dict(conn.execute("SELECT id, created_at FROM videos").fetchall())
        deleted_before = conn.execute("SELECT count(*) FROM videos WHERE deleted_at IS NOT NULL").fetchone()[0]
    summary = advance_app_world(url, hours=24 * 10)
    with connect(url) as conn:
        after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("messages", "videos", "users")}
        moved = conn.execute(
            "SELECT count(*) FROM users WHERE updated_at > %s", (demo_world["as_of"],)
        ).fetchone()[0]
        still = dict(conn.execute("SELECT id, created_at FROM videos WHERE id = ANY(%s)", (list(created),)).fetchall())
        deleted_after = conn.execute("SELECT count(*) FROM videos WHERE deleted_at IS NOT NULL").fetchone()[0]
    assert "rows updated" in summary
    assert all(after[t] > before[t] for t in after)
    assert moved > 0
    assert still == created
    assert deleted_after > deleted_before


def test_world_exists_and_advance_without_a_world_is_a_clear_error(fresh_database, demo_world):
    empty = fresh_database("app_empty")
    with connect(empty, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS demo_meta")
    assert world_exists(demo_world["app_url"])
    assert not world_exists(empty)
    with pytest.raises(ReelhouseError, match="reelhouse demo generate"):
        advance_app_world(empty, hours=1)


def test_student_questions_are_about_the_lesson_watched_just_before(demo_world):
    """The chat sits beside the lesson player: each message carries the video of the creator the student watched
    last before asking (the Creator Dashboard doc's "Related Questions: questions asked about each video")."""
    with connect(demo_world["app_url"]) as conn:
        total, without_video, other_creator, not_watched = conn.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE cm.video_id IS NULL),
                   count(*) FILTER (WHERE v.creator_id IS DISTINCT FROM cm.creator_id),
                   count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM video_progress vp WHERE vp.student_id = cm.student_id
                       AND vp.video_id = cm.video_id AND vp.created_at <= cm.created_at))
            FROM chat_messages cm LEFT JOIN videos v ON v.id = cm.video_id
            """
        ).fetchone()
        videos_with_questions = conn.execute(
            "SELECT count(DISTINCT video_id) FROM chat_messages WHERE role = 'user'").fetchone()[0]
    assert total > 0
    assert (without_video, other_creator, not_watched) == (0, 0, 0)
    assert videos_with_questions > 10


def test_quiz_answers_make_up_each_attempts_score(demo_world):
    """Every attempt answers each question of its quiz once; score = round(100 × correct ÷ questions), passed =
    score ≥ pass_score, and an answer is correct exactly when it picks the question's correct option."""
    with connect(demo_world["app_url"]) as conn:
        attempts, wrong_count, wrong_score, wrong_pass = conn.execute(
            """
            WITH per_attempt AS (
                SELECT a.id, a.score, a.passed, q.pass_score,
                       (SELECT count(*) FROM quiz_questions qq WHERE qq.quiz_id = a.quiz_id) AS questions,
                       count(ans.id) AS answers, count(DISTINCT ans.question_id) AS distinct_questions,
                       count(ans.id) FILTER (WHERE ans.is_correct) AS correct
                FROM quiz_attempts a
                JOIN quizzes q ON q.id = a.quiz_id
                LEFT JOIN quiz_answers ans ON ans.attempt_id = a.id
                GROUP BY a.id, a.score, a.passed, q.pass_score, a.quiz_id)
            SELECT count(*),
                   count(*) FILTER (WHERE answers <> questions OR distinct_questions <> questions OR questions = 0),
                   count(*) FILTER (WHERE questions > 0 AND score <> round(100.0 * correct / questions)),
                   count(*) FILTER (WHERE passed <> (score >= pass_score))
            FROM per_attempt
            """
        ).fetchone()
        foreign_question, mislabelled = conn.execute(
            """
            SELECT count(*) FILTER (WHERE qq.quiz_id <> a.quiz_id),
                   count(*) FILTER (WHERE ans.is_correct <> (ans.selected_option = qq.correct_option))
            FROM quiz_answers ans
            JOIN quiz_attempts a ON a.id = ans.attempt_id
            JOIN quiz_questions qq ON qq.id = ans.question_id
            """
        ).fetchone()
        rates = [row[0] for row in conn.execute(
            "SELECT avg(is_correct::int) FROM quiz_answers GROUP BY question_id HAVING count(*) >= 10").fetchall()]
    assert attempts > 50
    assert (wrong_count, wrong_score, wrong_pass, foreign_question, mislabelled) == (0, 0, 0, 0, 0)
    assert min(rates) < 0.5 < 0.8 < max(rates)  # some questions are much harder than others


def test_export_logs_follow_the_docs_and_the_nightly_cleanup(demo_world):
    """The Creator Dashboard doc's export_logs: enterprise creators' exports; PDF and Excel are 'coming soon' so they
    fail; a failed export has an error and no file; nothing older than 30 days before the last 02:00 cleanup is left."""
    as_of = demo_world["as_of"]
    with connect(demo_world["app_url"]) as conn:
        rows, not_enterprise, bad_failures, coming_soon_done, too_big, too_old = conn.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE c.subscription_tier <> 'enterprise'),
                   count(*) FILTER (WHERE (l.status = 'failed') <> (l.error_message IS NOT NULL)
                                    OR (l.status = 'failed') <> (l.file_url IS NULL)
                                    OR (l.status = 'completed') <> (l.completed_at IS NOT NULL)),
                   count(*) FILTER (WHERE l.format IN ('pdf', 'xlsx') AND l.status <> 'failed'),
                   count(*) FILTER (WHERE l.file_size_bytes > 100 * 1024 * 1024),
                   count(*) FILTER (WHERE l.created_at < date_trunc('day', %(as_of)s::timestamptz - interval '2 hours')
                                    + interval '2 hours' - interval '30 days')
            FROM export_logs l JOIN creators c ON c.id = l.creator_id
            """, {"as_of": as_of}).fetchone()
        statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM export_logs")}
    assert rows > 5
    assert (not_enterprise, bad_failures, coming_soon_done, too_big, too_old) == (0, 0, 0, 0, 0)
    assert statuses == {"completed", "failed"}


def test_a_world_saved_before_quiz_questions_and_export_logs_advances(fresh_database, demo_world):
    """An older saved world (no question arrays, no new tables) advances: the tables appear, old quizzes' attempts
    score as before without answers, new quizzes get questions."""
    url = fresh_database("app_old_world")
    generate_app_world(url, users=120, days=20, seed=3, as_of=demo_world["as_of"])
    with connect(url) as conn:
        blob, meta = conn.execute("SELECT state, meta FROM demo_meta.world").fetchone()
        blob = bytes(blob)
        meta["ids"] = {table: last for table, last in meta["ids"].items()
                       if table not in ("quiz_questions", "quiz_answers", "export_logs")}
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files
                      if name not in ("quiz_first_question", "quiz_questions", "question_difficulty",
                                      "question_correct")}
        old_quizzes = int(conn.execute("SELECT max(id) FROM quizzes").fetchone()[0])
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        conn.execute("UPDATE demo_meta.world SET state = %s, meta = %s", (buffer.getvalue(), Jsonb(meta)))
        conn.execute("DROP TABLE quiz_answers, quiz_questions, export_logs")
        conn.commit()
    advance_app_world(url, hours=24 * 10)
    with connect(url) as conn:
        old_answers = conn.execute(
            "SELECT count(*) FROM quiz_answers ans JOIN quiz_attempts a ON a.id = ans.attempt_id"
            " WHERE a.quiz_id <= %s", (old_quizzes,)).fetchone()[0]
        new_quiz_questions = conn.execute(
            "SELECT count(*) FROM quiz_questions WHERE quiz_id > %s", (old_quizzes,)).fetchone()[0]
        new_quizzes = conn.execute("SELECT count(*) FROM quizzes WHERE id > %s", (old_quizzes,)).fetchone()[0]
        export_logs = conn.execute("SELECT count(*) FROM export_logs").fetchone()[0]
    assert old_answers == 0
    assert new_quizzes > 0 and new_quiz_questions >= 5 * new_quizzes
    assert export_logs >= 0  # the table exists again (advance runs the schema's CREATE ... IF NOT EXISTS)

