"""Source freshness is declared once, in the dbt project, and dbt's own `source freshness` evaluates it.

The thresholds (2 h warn, 6 h error) live in dbt_project.yml; expectations/load_health.py reads the same values and
computes the same measure (when rows from a source last landed, from ops.load_audit) for the weekly email. On a
scratch warehouse with crafted audit rows, dbt's verdict per raw table — as the pipeline's source_freshness check gets
it (orchestration/defs/quality/dbt_freshness.py) — equals load_health's for its source.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
from dagster import AssetKey
from dagster_dbt import DbtCliResource

from expectations.load_health import (
    DBT_PROJECT_FILE,
    FRESHNESS_ERROR_AFTER,
    FRESHNESS_WARN_AFTER,
    freshness_thresholds,
    source_freshness,
)
from ingestion.common.ops import ensure_ops_tables
from orchestration.defs.quality.dbt_freshness import dbt_source_freshness
from orchestration.lib.dbt_project import dbt_project, prepare_manifest
from reelhouse.warehouse import connect

DBT_VERDICT = {"fresh": "pass", "warn": "warn", "error": "error"}  # load_health's words for dbt's


def test_the_thresholds_are_declared_once_and_both_sides_read_them(tmp_path):
    assert (FRESHNESS_WARN_AFTER.total_seconds(), FRESHNESS_ERROR_AFTER.total_seconds()) == (2 * 3600, 6 * 3600)
    sources = json.loads(prepare_manifest().read_text())["sources"].values()
    declared = {(s["source_name"], json.dumps(s["freshness"], sort_keys=True)) for s in sources if s["freshness"]}
    expected = json.dumps({"warn_after": {"count": 2, "period": "hour"}, "error_after": {"count": 6, "period": "hour"},
                           "filter": None}, sort_keys=True)
    assert declared == {("raw_app", expected), ("raw_stripe", expected)}  # raw_costs and ops say why not
    # change the one place and load_health follows
    project = tmp_path / "dbt_project.yml"
    project.write_text(DBT_PROJECT_FILE.read_text()
                       .replace("warn_after: {count: 2, period: hour}", "warn_after: {count: 90, period: minute}"))
    warn, error = freshness_thresholds(project)
    assert (warn.total_seconds(), error.total_seconds()) == (90 * 60, 6 * 3600)


def _landed(owner_url: str, source: str, hours_ago: float, rows: int) -> None:
    with connect(owner_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ops.load_audit (load_id, source, table_name, status, rows_inserted, started_at, finished_at,"
            " duration_seconds) VALUES (%s, %s, 't', 'ok', %s, now() - make_interval(secs => %s),"
            " now() - make_interval(secs => %s), 1)",
            (uuid.uuid4(), source, rows, hours_ago * 3600 + 1, hours_ago * 3600))


@pytest.mark.parametrize(("hours_ago", "expected"), [(1, "fresh"), (3, "warn"), (7, "error")])
def test_dbt_source_freshness_says_what_load_health_says(scratch_warehouse, hours_ago, expected):
    urls = scratch_warehouse("source_freshness")
    with connect(urls["loader"], autocommit=True) as conn:
        ensure_ops_tables(conn)
    _landed(urls["loader"], "app", hours_ago, 50)
    _landed(urls["loader"], "app", 0.1, 0)  # the newest load found nothing new: it does not make the source fresh
    _landed(urls["loader"], "stripe", 0.5, 3)

    with connect(urls["transformer"]) as conn:
        app, stripe = source_freshness(conn, "app"), source_freshness(conn, "stripe")
    assert (app.status, stripe.status) == (expected, "fresh")

    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
    measured = dbt_source_freshness(dbt, urls["transformer"], ["raw_app", "raw_stripe"])  # one dbt process, both
    by_table = {key: table for key, table in measured.items() if key.path[0] == "raw_app"}
    assert AssetKey(["raw_app", "users"]) in by_table and AssetKey(["raw_app", "videos"]) in by_table
    assert {table.status for table in by_table.values()} == {DBT_VERDICT[expected]}
    assert all(table.passed == (expected != "error") for table in by_table.values())
    stripe_tables = {key: table for key, table in measured.items() if key.path[0] == "raw_stripe"}
    assert stripe_tables and {table.status for table in stripe_tables.values()} == {"pass"}
    assert set(measured) == set(by_table) | set(stripe_tables)
