"""The merge facts' incremental runs reach raw rows by the `_loaded_at` index, not by reading all of raw.

An hourly run of `fct_prompts`, `fct_video_views`, `fct_credit_transactions`, `fct_llm_calls` and
`video_retention_curve` must cost what the hour brought. A small world is generated and loaded; its raw rows are
given the landing times hourly loads would have given them (each row's last change) and history is added (copies
of every row under other ids, landed 100 days apart each), so that an hour is a small share of raw and the planner
has real statistics to weigh. The models are built, rebuilt with --full-refresh, analyzed (as autovacuum would),
the world advances an hour and is loaded, and each model's incremental SQL is compiled and EXPLAINed as the
transformer role: every table the run reads by landing time is reached by an index on it, and no big table (raw,
the fact the curve reads, the model's own table for its lower bound) is read by a sequential scan. The bound itself
is a backward index read. A model's own relation is a view over its versioned table in `marts_store`
(dbt_project/macros/materializations/incremental.sql): the plans read that table through the view.

The versioned materialization's own merge is planned here too: a rebuilt key holding many rows (a day of
engagement_tier_daily) is matched with its current versions by a hash, not row by row.

Planner choices depend on statistics: BENCHMARKS.md ("Incremental plans") has the plans before and after, and
what they do and do not show.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from demo.app_world import advance_app_world, generate_app_world
from ingestion.app_db import load_app_tables
from ingestion.costs import load_costs
from reelhouse.warehouse import connect
from reelhouse.warehouse.marts import BUILD_SCHEMA, STORE_SCHEMA

START = datetime.fromisoformat("2026-10-20T00:00:00+00:00")
HISTORY_COPIES = 10
ID_COLUMNS = ("id", "user_id", "video_id", "creator_id", "student_id")
RAW_TABLES = ("messages", "video_progress", "credit_transactions", "api_usage_metrics", "videos")

# model -> (its lower bound's column, [(table, first column of the index it must be read by)], tables never
# read by a sequential scan)
MODELS = {
    "fct_prompts": ("loaded_at", [("messages", "_loaded_at")], {"messages", "fct_prompts"}),
    "fct_video_views": ("loaded_at", [("video_progress", "_loaded_at")], {"video_progress", "fct_video_views"}),
    "fct_llm_calls": ("loaded_at", [("api_usage_metrics", "_loaded_at")], {"api_usage_metrics", "fct_llm_calls"}),
    # The changed users by landing time, then every entry of theirs (the running balance) by user.
    "fct_credit_transactions": ("loaded_at",
                                [("credit_transactions", "_loaded_at"), ("credit_transactions", "user_id")],
                                {"credit_transactions", "fct_credit_transactions"}),
    # The view versions written and retired since its last build, by fct_video_views' built_at and retired_at
    # indexes, and the videos changed by landing time; the views of the videos rebuilt in full by video, the curves
    # as built by video (not by a walk of the store's built_at index). int_course_videos (a table of one row per
    # course video, rebuilt in full every run) may be joined by a scan where it is small.
    "video_retention_curve": ("views_loaded_at",
                              [("fct_video_views", "built_at"), ("fct_video_views", "retired_at"),
                               ("int_course_videos", "loaded_at"), ("fct_video_views", "video_id"),
                               ("video_retention_curve", "video_id")],
                              {"fct_video_views", "video_retention_curve"}),
}


def _landed_over_history(owner: str) -> None:
    """Raw as hourly loads over the world's history would hold it: each row landed when it last changed, and
    HISTORY_COPIES older copies of every row (other ids and owners), landed 100 days apart."""
    with connect(owner, autocommit=True) as conn:
        for table in RAW_TABLES:
            columns = [name for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw_app'"
                " AND table_name = %s ORDER BY ordinal_position", (table,))]
            copied = [f"{name} + k::bigint * 1000000000" if name in ID_COLUMNS
                      else "_loaded_at - k * interval '100 days'" if name == "_loaded_at" else name
                      for name in columns]
            conn.execute(f"UPDATE raw_app.{table} SET _loaded_at = greatest(created_at, updated_at)")
            conn.execute(f"INSERT INTO raw_app.{table} ({', '.join(columns)}) SELECT {', '.join(copied)}"
                         f" FROM raw_app.{table}, generate_series(1, {HISTORY_COPIES}) AS k")
            conn.execute(f"VACUUM ANALYZE raw_app.{table}")


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _plan_nodes(child)


def _planned_nodes(conn, sql: str) -> list[dict]:
    """Every node of the plan PostgreSQL makes for `sql` (EXPLAIN, not run)."""
    plan = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]
    return list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))


def test_merge_facts_reach_what_landed_by_index(fresh_database, scratch_warehouse, run_dbt, tmp_path):
    source = fresh_database("plans_app")
    warehouse = scratch_warehouse("plans_warehouse")
    generate_app_world(source, users=150, days=21, seed=23, as_of=START)
    load_costs(warehouse["loader"])
    load_app_tables(source, warehouse["loader"])
    _landed_over_history(warehouse["owner"])
    selection = [f"+{model}" for model in MODELS]
    run_dbt(warehouse["transformer"], START.isoformat(), "run", "-s", *selection)
    # A full refresh retires every version of the model's store table and writes all rows again (the model's own
    # relation is a view over it): the landing-column index must still be there after it, and the retired versions
    # in the table as a full rebuild leaves them until publishing.
    run_dbt(warehouse["transformer"], START.isoformat(), "run", "--full-refresh", "-s", *MODELS)
    with connect(warehouse["owner"], autocommit=True) as conn:
        for model in MODELS:
            conn.execute(f'ANALYZE {STORE_SCHEMA}."{model}"')
        conn.execute("ANALYZE intermediate.int_course_videos")

    advance_app_world(source, hours=1)
    load_app_tables(source, warehouse["loader"])
    run_dbt(warehouse["transformer"], START.isoformat(), "compile", "-s", *MODELS)
    compiled = {path.stem: path.read_text() for path in (tmp_path / "target" / "compiled").rglob("*.sql")}

    problems = []
    with connect(warehouse["transformer"]) as conn:
        index_columns = {name: (table, first) for name, table, first in conn.execute(
            "SELECT i.relname, t.relname, a.attname FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]"
            " WHERE n.nspname IN ('raw_app', 'intermediate', %s)", (STORE_SCHEMA,))}
        for model, (bound_column, by_index, never_scanned) in MODELS.items():
            assert "is_incremental" not in compiled[model]  # compiled, not raw Jinja
            for name, sql in ((model, compiled[model]),
                              (f"{model}'s lower bound", f'select max({bound_column}) from {BUILD_SCHEMA}."{model}"')):
                nodes = _planned_nodes(conn, sql)
                scanned = {node["Relation Name"] for node in nodes if node["Node Type"] == "Seq Scan"}
                indexed = {index_columns[node["Index Name"]] for node in nodes if "Index Name" in node}
                if scanned & never_scanned:
                    problems.append(f"{name}: Seq Scan on {sorted(scanned & never_scanned)}")
                if name == model and (missing := [read for read in by_index if read not in indexed]):
                    problems.append(f"{name}: not read by index: {missing} (indexes used: {sorted(indexed)})")
    assert not problems, "\n".join(problems)


def test_the_test_reads_every_model_it_names():
    """The models named here are the incremental ones that merge what landed (a renamed model fails here)."""
    root = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
    for model in MODELS:
        [path] = root.rglob(f"{model}.sql")
        assert "materialized='incremental'" in path.read_text(), model


MERGE_SCHEMA = "plans_merge"
MERGE_SQL = """
{%- set store = api.Relation.create(database=target.database, schema='plans_merge', identifier='store') -%}
{%- set built = api.Relation.create(database=target.database, schema='plans_merge', identifier='new_versions') -%}
{{ versioned_merge_sql(store, built, ['date_day'], adapter.get_columns_in_relation(built), 'now()', false) }}
"""


def test_a_rebuilt_key_of_many_rows_is_matched_by_hash_and_read_by_its_keys(scratch_warehouse, run_dbt):
    """The versioned materialization's merge (macro versioned_merge_sql) on a key holding many rows, as
    engagement_tier_daily's date_day holds every creator's tiers: each rebuilt row is matched with its current
    version by a hash on the key and the row, and the store is read by the keys rebuilt, not in full. Compared
    column by column (`is not distinct from`, which cannot be hashed) a day's rows were joined pairwise, 27.5 s of
    a 100,000-user hour, and the delete read the whole store (BENCHMARKS.md)."""
    url = scratch_warehouse("plans_merge")["transformer"]
    with connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {MERGE_SCHEMA}")
        conn.execute(
            f"CREATE TABLE {MERGE_SCHEMA}.store AS SELECT day::date AS date_day, 'student' AS population,"  # noqa: S608
            " creator::bigint AS creator_id, tier AS engagement_tier, creator * 7 + length(tier) AS entities,"
            " now() AS built_at, NULL::timestamptz AS retired_at"
            " FROM generate_series(date '2026-08-01', date '2026-10-20', interval '1 day') AS day,"
            " generate_series(1, 300) AS creator, unnest(ARRAY['a', 'b', 'c', 'd', 'e', 'f']) AS tier")
        conn.execute(f"CREATE INDEX ON {MERGE_SCHEMA}.store (date_day) WHERE retired_at IS NULL")
        conn.execute(f"CREATE TABLE {MERGE_SCHEMA}.new_versions AS SELECT date_day, population, creator_id,"  # noqa: S608
                     " engagement_tier, entities + (creator_id = 7)::int AS entities, now() AS built_at"
                     f" FROM {MERGE_SCHEMA}.store WHERE date_day >= date '2026-10-19'")
        conn.execute(f"ANALYZE {MERGE_SCHEMA}.store")
        conn.execute(f"ANALYZE {MERGE_SCHEMA}.new_versions")

    compiled = run_dbt(url, START.isoformat(), "compile", "--quiet", "--inline", MERGE_SQL)
    statements = {statement.split()[0].lower(): statement for statement in compiled.split(";") if statement.strip()}
    assert set(statements) == {"update", "delete", "insert"}, compiled
    problems = []
    with connect(url) as conn:
        for verb in ("update", "delete"):
            nodes = _planned_nodes(conn, statements[verb])
            if filtered := [node["Join Filter"] for node in nodes if "Join Filter" in node]:
                problems.append(f"{verb}: rows compared after the join: {filtered}")
            if not any("::text" in node.get("Hash Cond", "") for node in nodes):
                problems.append(f"{verb}: no hash on the rows: {[node['Node Type'] for node in nodes]}")
            if any(node["Node Type"] == "Seq Scan" and node["Relation Name"] == "store" for node in nodes):
                problems.append(f"{verb}: the whole store read")
    assert not problems, "\n".join(problems)
