"""Faults around the marts: a dbt model failing mid-build, and analysts querying while the marts rebuild.

dbt builds the marts in `marts_next`, which readers cannot see, and publishing swaps it with `marts` in one
transaction (reelhouse/warehouse/marts.py): readers see the old marts or the new ones, never a half-built table
or a mix, and a model that fails publishes nothing, so every mart keeps its last good numbers (an incremental mart's
live view keeps showing the versions of the last published build, though the failed run's are in its table).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from dagster import AssetKey

from orchestration.defs.publish.assets import PUBLISHED_MARTS
from orchestration.lib.dbt_project import DBT_PROJECT_DIR
from reelhouse.warehouse import admin_url, app_db_url, connect, dbt_env, role_url
from reelhouse.warehouse.marts import publish_marts

ANALYSTS = 10


def _oid(table: str) -> int:
    with connect(role_url("analyst")) as conn:
        return conn.execute("SELECT %s::regclass::oid", (table,)).fetchone()[0]


def test_a_model_failing_mid_build_publishes_nothing_and_skips_downstream(run_hourly):
    assert run_hourly().success
    with connect(app_db_url(), autocommit=True) as conn:  # a call touched in the app: the next run writes its version
        conn.execute("UPDATE api_usage_metrics SET updated_at = now()"
                     " WHERE id = (SELECT max(id) FROM api_usage_metrics)")
    published = {mart: _oid(f"marts.{mart}") for mart in ("quiz_performance", "mrr_daily")}
    with connect(admin_url(), autocommit=True) as conn:  # permissions drift: one staging model cannot read its source
        conn.execute("REVOKE SELECT ON raw_app.quizzes FROM transformer")
    try:
        result = run_hourly()
    finally:
        with connect(admin_url(), autocommit=True) as conn:
            conn.execute("GRANT SELECT ON raw_app.quizzes TO transformer")
    assert not result.success
    assert [event.step_key for event in result.all_events if event.is_step_failure] == ["dbt_models"]
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert AssetKey(["marts", "mrr_daily"]) in materialized  # unrelated models still build (in marts_next)
    # (the staging view itself is created: PostgreSQL checks privileges when a view is read, not created)
    assert not {AssetKey(["marts", "quiz_performance"]), PUBLISHED_MARTS, AssetKey(["superset", "dashboards"])} \
        & materialized
    # Readers keep the last good marts, every one of them: the rebuilt mrr_daily waits in marts_next too.
    assert {mart: _oid(f"marts.{mart}") for mart in published} == published
    # An incremental mart the failed run built: its new versions are in its one table in marts_store, and the live
    # view, at the last published build's stamp, shows none of them.
    with connect(role_url("transformer")) as conn:
        watermark = conn.execute("SELECT watermark FROM marts._published").fetchone()[0]
        written = conn.execute("SELECT count(*) FROM marts_store.fct_llm_calls WHERE built_at > %s",
                               (watermark,)).fetchone()[0]
    with connect(role_url("analyst")) as conn:
        assert conn.execute("SELECT count(*) FROM marts.quiz_performance").fetchone()[0] > 0
        unpublished = conn.execute("SELECT count(*) FROM marts.fct_llm_calls WHERE built_at > %s",
                                   (watermark,)).fetchone()[0]
    assert AssetKey(["marts", "fct_llm_calls"]) in materialized
    assert (unpublished, written > 0) == (0, True), (unpublished, written)

    healed = run_hourly()  # access restored: the next run rebuilds and publishes
    assert healed.success
    assert PUBLISHED_MARTS in {event.asset_key for event in healed.get_asset_materialization_events()}
    assert all(_oid(f"marts.{mart}") != oid for mart, oid in published.items())


def _analyst_loop(stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    """What an analyst's dashboard does: read two marts and check they are whole and consistent."""
    with connect(role_url("analyst"), autocommit=True) as conn:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                days, broken = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE round(starting_mrr_usd + new_mrr_usd + expansion_mrr_usd"
                    " + reactivation_mrr_usd - contraction_mrr_usd - churned_mrr_usd, 2) <> round(mrr_usd, 2))"
                    " FROM marts.mrr_daily").fetchone()
                tiers = conn.execute("SELECT count(*) FROM marts.engagement_tier_daily").fetchone()[0]
            except Exception as exc:  # noqa: BLE001 - any error an analyst would see is the finding
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            if days == 0 or tiers == 0 or broken:
                errors.append(f"saw a partial mart: {days} MRR days ({broken} not reconciling), {tiers} tier rows")


def test_ten_analysts_never_see_a_half_built_mart_while_the_marts_rebuild(built_marts, tmp_path):
    before = _oid("marts.mrr_daily")
    stop = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []
    analysts = [threading.Thread(target=_analyst_loop, args=(stop, latencies, errors)) for _ in range(ANALYSTS)]
    for analyst in analysts:
        analyst.start()
    try:
        dbt = Path(sys.executable).with_name("dbt")
        rebuild = subprocess.run(
            [str(dbt), "run", "--select", "marts", "reporting", "--target-path", str(tmp_path),
             "--log-path", str(tmp_path)],
            cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=900, env={**os.environ, **dbt_env()})
        for _ in range(5 if rebuild.returncode == 0 else 0):  # swap the two complete sets under their queries
            publish_marts(role_url("transformer"))
            time.sleep(0.5)
    finally:
        stop.set()
        for analyst in analysts:
            analyst.join(timeout=60)
    assert rebuild.returncode == 0, rebuild.stdout[-3000:]
    assert errors == []
    assert len(latencies) > ANALYSTS * 5  # they really ran during the rebuild
    assert _oid("marts.mrr_daily") != before  # published an odd number of times: the rebuilt marts are live
    print(f"\n{len(latencies)} analyst queries during the rebuild: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
