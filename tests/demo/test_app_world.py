"""The demo app database: deterministic, referentially sound, and alive (advance changes things)."""

from __future__ import annotations

import pytest

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
