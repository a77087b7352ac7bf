"""The incremental marts are held once: views over versioned tables with a published watermark (issue 20).

Each incremental model's rows live in one table of the store schema (`marts_store`), as versions stamped `built_at`
and `retired_at`; `marts` and `marts_next` hold a view over it each, showing the versions visible at their schema's
watermark (dbt_project/macros/materializations/incremental.sql, reelhouse/warehouse/marts.py). Shown here on a real
warehouse and real dbt: the warehouse holds each incremental table's rows once (plus what the builds since the last
publication wrote), a build that is not published (its audit failed) is invisible to the analyst while its rows are
in the store, the next build's narrowed row tests still read them, and publishing deletes the retired versions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from psycopg import errors

from demo.app_world import advance_app_world, generate_app_world
from ingestion.app_db import load_app_tables
from ingestion.costs import load_costs
from orchestration.lib.audited_rows import LANDED_SINCE_ENV
from reelhouse.warehouse import connect
from reelhouse.warehouse.marts import BUILD_LOG_TABLE, BUILD_SCHEMA, LIVE_SCHEMA, STORE_SCHEMA, publish_marts

START = datetime.fromisoformat("2026-10-20T00:00:00+00:00")
SELECTION = "config.materialized:incremental"
FACT = "fct_llm_calls"  # an incremental mart merged on api_call_id
# The incremental facts that read staging views and so bound their reads by their last build too (macro
# incremental_lower_bound, since_last_build).
# The incremental models reading staging only, each from what landed since its last build.
STAGING_FACTS = ("fct_credit_transactions", "fct_llm_calls", "fct_paywall_events", "fct_prompts", "fct_video_views",
                 "scene_iteration_outcomes")


def _world(fresh_database, scratch_warehouse, name: str, users: int = 40, days: int = 10) -> tuple[str, dict]:
    source = fresh_database(f"{name}_app")
    warehouse = scratch_warehouse(f"{name}_warehouse")
    generate_app_world(source, users=users, days=days, seed=11, as_of=START)
    load_costs(warehouse["loader"])
    load_app_tables(source, warehouse["loader"])
    return source, warehouse


def _incremental_models(run_dbt, url: str, schema: str = BUILD_SCHEMA) -> list[str]:
    """The incremental models whose view is in `schema` (the build schema: the published ones)."""
    listed = run_dbt(url, START.isoformat(), "ls", "-s", SELECTION, "--resource-type", "model",
                     "--output", "json", "--output-keys", "name config", "--quiet")
    nodes = [json.loads(line) for line in listed.splitlines() if line.startswith("{")]
    return sorted(node["name"] for node in nodes if node["config"]["schema"] == schema)


def _watermark(conn, schema: str = LIVE_SCHEMA) -> datetime:
    return conn.execute(f"SELECT watermark FROM {schema}._published").fetchone()[0]  # noqa: S608


def _counts(conn, table: str) -> dict[str, int]:
    """Rows in the store table, the live view, and versions the live view does not show (written or retired since
    the published build)."""
    watermark = _watermark(conn)
    return dict(zip(("store", "live", "written_since", "retired"), conn.execute(
        f"SELECT (SELECT count(*) FROM {STORE_SCHEMA}.{table}), (SELECT count(*) FROM {LIVE_SCHEMA}.{table}),"  # noqa: S608
        f" (SELECT count(*) FROM {STORE_SCHEMA}.{table} WHERE built_at > %(w)s),"
        f" (SELECT count(*) FROM {STORE_SCHEMA}.{table} WHERE retired_at IS NOT NULL)",
        {"w": watermark}).fetchone(), strict=True))


def _kinds(conn, names: list[str]) -> dict[tuple[str, str], str]:
    return {(schema, name): kind for schema, name, kind in conn.execute(
        "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN (%s, %s, %s, 'intermediate') AND c.relname = ANY(%s)",
        (LIVE_SCHEMA, BUILD_SCHEMA, STORE_SCHEMA, names)).fetchall()}


@pytest.mark.slow
def test_each_incremental_table_is_held_once(fresh_database, scratch_warehouse, run_dbt):
    """After a full rebuild, its publication, an hourly build and its publication: views only in both mart schemas,
    one table in the store, holding exactly the live rows once published, and the live rows plus the new versions
    of an unpublished build."""
    source, warehouse = _world(fresh_database, scratch_warehouse, "held_once")
    url, clock = warehouse["transformer"], START
    run_dbt(url, clock.isoformat(), "run", "-s", f"+{SELECTION}")
    publish_marts(url)
    models = _incremental_models(run_dbt, url)
    assert len(models) == 11, models
    intermediate = _incremental_models(run_dbt, url, "intermediate")
    assert intermediate == ["int_student_daily_activity", "int_user_daily_activity", "int_video_ready_visits"], (
        intermediate)

    run_dbt(url, clock.isoformat(), "run", "-s", f"+{SELECTION}", "--full-refresh")
    with connect(warehouse["owner"]) as conn:  # a rebuild of the same world writes no version: every row is the same
        counts = {model: _counts(conn, model) for model in models}
        written = {model: (counts[model]["written_since"], counts[model]["retired"]) for model in models}
        assert written == dict.fromkeys(models, (0, 0)), written
    publish_marts(url)

    advance_app_world(source, hours=6)
    clock += timedelta(hours=6)
    load_app_tables(source, warehouse["loader"])
    run_dbt(url, clock.isoformat(), "run", "-s", f"+{SELECTION}")
    with connect(warehouse["owner"]) as conn:  # an hourly build, not published yet
        for model in models:
            counts = _counts(conn, model)
            assert counts["store"] == counts["live"] + counts["written_since"], (model, counts)
            assert counts["retired"] <= counts["live"], (model, counts)
        assert sum(_counts(conn, model)["written_since"] for model in models) > 0
    publish_marts(url)

    with connect(warehouse["owner"]) as conn:
        kinds = _kinds(conn, models)
        assert {kinds.get((schema, model)) for schema in (LIVE_SCHEMA, BUILD_SCHEMA) for model in models} == {"v"}
        assert {kinds.get((STORE_SCHEMA, model)) for model in models} == {"r"}
        held = {model: _counts(conn, model) for model in models}
        assert all(held[model]["live"] > 0 for model in ("fct_prompts", "fct_llm_calls", "fct_user_engagement_spells",
                                                          "active_users_daily")), held  # a small world: few students
        # An intermediate model's rows are held once too: a view in its schema over its store table, which
        # publishing keeps, with no retired version left once published
        assert {_kinds(conn, intermediate).get((schema, model)) for schema, model in (
            *(("intermediate", model) for model in intermediate), *((STORE_SCHEMA, model) for model in intermediate),
        )} == {"v", "r"}
        for model in intermediate:
            assert conn.execute(f"SELECT count(*) FROM {STORE_SCHEMA}.{model} WHERE retired_at IS NOT NULL"  # noqa: S608
                                ).fetchone()[0] == 0, model
        for model, counts in held.items():
            assert counts["store"] == counts["live"] and counts["retired"] == 0, (model, counts)
            # the build schema's view shows the same rows: the next build continues from what was published
            assert conn.execute(f"SELECT count(*) FROM (TABLE {LIVE_SCHEMA}.{model} EXCEPT ALL"  # noqa: S608
                                f" TABLE {BUILD_SCHEMA}.{model}) AS d").fetchone()[0] == 0, model

    # An hour in which nothing landed: the facts that read staging write no version (they used to re-merge their
    # last batch, every hour until a row landed). No lookback: the rows above landed seconds ago, within the hour.
    run_dbt(url, clock.isoformat(), "run", "-s", *STAGING_FACTS, "--vars", '{"incremental_lookback_hours": 0}')
    with connect(warehouse["owner"]) as conn:
        written = {fact: _counts(conn, fact)["written_since"] for fact in STAGING_FACTS}
        assert written == dict.fromkeys(STAGING_FACTS, 0), written
    # With the default margin every fact re-reads the rows that landed within the hour, unchanged: no model writes a
    # version (each used to write them all again, and the models counting those versions rewrote what they touch).
    # With their parents: the build schema's tables are the second-to-last publication's.
    run_dbt(url, clock.isoformat(), "run", "-s", f"+{SELECTION}")
    with connect(warehouse["owner"]) as conn:
        written = {model: _counts(conn, model)["written_since"] for model in models}
        assert written == dict.fromkeys(models, 0), written
        logged = dict(conn.execute(f"SELECT model, started_at FROM {STORE_SCHEMA}.{BUILD_LOG_TABLE}").fetchall())  # noqa: S608
        assert set(models) <= set(logged) and max(logged.values()) > _watermark(conn), logged


def test_the_first_build_after_the_first_publication_reads_only_what_landed(fresh_database, scratch_warehouse,
                                                                          run_dbt):
    """After the first publication the build schema is the one readers had, without the facts' views: the facts read
    their bound from their store tables, so a build with nothing landed writes no version (it re-merged the whole
    first load, the view being missing when the bound was read)."""
    _, warehouse = _world(fresh_database, scratch_warehouse, "first_after", users=20, days=5)
    url, facts = warehouse["transformer"], [f"+{fact}" for fact in STAGING_FACTS]
    run_dbt(url, START.isoformat(), "run", "-s", *facts)
    publish_marts(url)
    run_dbt(url, START.isoformat(), "run", "-s", *facts, "--vars", '{"incremental_lookback_hours": 0}')
    with connect(warehouse["owner"]) as conn:
        written = {fact: _counts(conn, fact)["written_since"] for fact in STAGING_FACTS}
    assert written == dict.fromkeys(STAGING_FACTS, 0), written


def _change_a_call(source: str, loader: str, at: datetime) -> int:
    with connect(source, autocommit=True) as conn:
        call = conn.execute("UPDATE api_usage_metrics SET output_tokens = output_tokens + 1000, updated_at = %s"
                            " WHERE id = (SELECT min(id) FROM api_usage_metrics) RETURNING id", (at,)).fetchone()[0]
    load_app_tables(source, loader)
    return call


def _tokens(url: str, call: int) -> int:
    with connect(url) as conn:
        return conn.execute(f"SELECT output_tokens FROM {LIVE_SCHEMA}.{FACT} WHERE api_call_id = %s",  # noqa: S608
                            (call,)).fetchone()[0]


def test_an_unpublished_build_is_invisible_to_readers_and_audited_by_the_next(fresh_database, scratch_warehouse,
                                                                             run_dbt):
    source, warehouse = _world(fresh_database, scratch_warehouse, "unpublished")
    url, analyst = warehouse["transformer"], warehouse["analyst"]
    run_dbt(url, START.isoformat(), "run", "-s", f"+{FACT}")
    publish_marts(url)
    call = _change_a_call(source, warehouse["loader"], START)
    before = _tokens(analyst, call)
    with connect(analyst) as conn:
        rows_before = conn.execute(f"SELECT count(*) FROM {LIVE_SCHEMA}.{FACT}").fetchone()[0]  # noqa: S608

    run_dbt(url, START.isoformat(), "run", "-s", FACT)  # its audit failed, say: not published
    with connect(warehouse["owner"]) as conn:
        published = _watermark(conn)
        assert conn.execute(f"SELECT count(*) FROM {STORE_SCHEMA}.{FACT} WHERE built_at > %s AND api_call_id = %s"  # noqa: S608
                            " AND output_tokens = %s", (published, call, before + 1000)).fetchone()[0] == 1
    assert _tokens(analyst, call) == before  # the reader still sees the published version
    with connect(analyst) as conn:
        assert conn.execute(f"SELECT count(*), count(*) FILTER (WHERE built_at > %s) FROM {LIVE_SCHEMA}.{FACT}",  # noqa: S608
                            (published,)).fetchone() == (rows_before, 0)
        with pytest.raises(errors.InsufficientPrivilege):  # and cannot read the store itself
            conn.execute(f"SELECT 1 FROM {STORE_SCHEMA}.{FACT} LIMIT 1")  # noqa: S608

    # A bad version written by that unpublished build: the next build's row tests, narrowed to what was written
    # since the last publication (the pipeline narrows from that run's start, earlier still), read it.
    with connect(warehouse["owner"], autocommit=True) as conn:
        unpublished = conn.execute(f"SELECT max(built_at) FROM {STORE_SCHEMA}.{FACT}").fetchone()[0]  # noqa: S608
        assert unpublished > published
        conn.execute(f"INSERT INTO {STORE_SCHEMA}.{FACT} (api_call_id, user_id, built_at)"  # noqa: S608
                     " VALUES (-1, NULL, %s)", (unpublished,))
    run_dbt(url, START.isoformat(), "run", "-s", FACT)  # the next build: nothing changed since
    narrowed = run_dbt(url, START.isoformat(), "test", "-s", f"not_null_{FACT}_user_id",
                       env={LANDED_SINCE_ENV: published.isoformat()}, check=False)
    assert re.search(rf"Failure in test not_null_{FACT}_user_id.*?Got 1 result", narrowed, flags=re.S), narrowed
    with connect(warehouse["owner"], autocommit=True) as conn:
        conn.execute(f"DELETE FROM {STORE_SCHEMA}.{FACT} WHERE api_call_id = -1")  # noqa: S608

    publish_marts(url)  # the next build passes and is published: readers see the change now
    assert _tokens(analyst, call) == before + 1000


def test_publishing_deletes_the_retired_versions(fresh_database, scratch_warehouse, run_dbt):
    """A build, a full rebuild too, retires the versions it changed and writes their new ones (never a row it
    rebuilt the same); readers keep the published ones until publishing, which deletes the retired ones: cost and
    storage follow the change, no copy is made."""
    source, warehouse = _world(fresh_database, scratch_warehouse, "purge")
    url = warehouse["transformer"]
    run_dbt(url, START.isoformat(), "run", "-s", f"+{FACT}")
    publish_marts(url)
    call = _change_a_call(source, warehouse["loader"], START)
    run_dbt(url, START.isoformat(), "run", "-s", FACT)
    with connect(warehouse["owner"]) as conn:
        assert conn.execute(f"SELECT count(*), count(retired_at) FROM {STORE_SCHEMA}.{FACT}"  # noqa: S608
                            " WHERE api_call_id = %s", (call,)).fetchone() == (2, 1)
    publication = publish_marts(url)
    assert publication.purged[FACT] >= 1, publication
    with connect(warehouse["owner"]) as conn:
        assert conn.execute(f"SELECT count(*), count(retired_at) FROM {STORE_SCHEMA}.{FACT}"  # noqa: S608
                            " WHERE api_call_id = %s", (call,)).fetchone() == (1, 0)
        live = _counts(conn, FACT)["live"]

    _change_a_call(source, warehouse["loader"], START)
    run_dbt(url, START.isoformat(), "run", "-s", FACT, "--full-refresh")
    with connect(warehouse["owner"]) as conn:
        assert _counts(conn, FACT) == {"store": live + 1, "live": live, "written_since": 1, "retired": 1}
    publication = publish_marts(url)
    assert publication.purged[FACT] == 1
    with connect(warehouse["owner"]) as conn:
        assert _counts(conn, FACT) == {"store": live, "live": live, "written_since": 0, "retired": 0}
        assert _watermark(conn) == publication.watermark
        assert conn.execute(f"SELECT watermark = 'infinity' FROM {BUILD_SCHEMA}._published").fetchone()[0]  # noqa: S608
