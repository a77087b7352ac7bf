"""The whole hourly_refresh job, executed in process against the embedded warehouse and the demo world."""

from __future__ import annotations

from dagster import AssetKey

from expectations.suite import load_suites
from orchestration.defs.publish.assets import MART_KEYS, PUBLISHED_MARTS
from reelhouse.warehouse import app_db_url, connect, role_url


def _live_mart_oids() -> dict[str, int | None]:
    """The table behind each name a reader queries: unchanged means readers still see the same numbers."""
    with connect(role_url("transformer")) as conn:
        return {name: conn.execute("SELECT to_regclass(%s)::oid", (f"marts.{name}",)).fetchone()[0]
                for name in ("mrr_daily", "revenue_daily", "engagement_tier_daily")}


def test_hourly_job_lands_every_source_and_runs_the_checks(run_hourly):
    result = run_hourly()
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {AssetKey(["raw_app", "videos"]), AssetKey(["raw_stripe", "charges"]),
            AssetKey(["raw_costs", "video_provider_prices"]), AssetKey(["staging", "stg_app__videos"])} <= materialized
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks.get("gx_videos") is True and checks.get("gx_credit_transactions") is True
    assert checks.get("gx_revenue_daily") is True and checks.get("gx_mrr_daily") is True  # marts checked too
    assert checks.get("source_freshness") is True
    freshness = [e for e in result.get_asset_check_evaluations() if e.asset_check_key.name == "source_freshness"]
    assert {e.asset_key.path[0] for e in freshness} == {"raw_app", "raw_stripe"}
    steps = {event.step_key for event in result.all_events if event.is_step_start}
    assert [step for step in steps if "freshness" in step] == ["source_freshness"]  # one dbt process, both sources
    assert PUBLISHED_MARTS in materialized
    with connect(role_url("transformer")) as conn:
        recorded = conn.execute("SELECT count(*) FROM ops.dq_results WHERE run_id = %s", (result.run_id,)).fetchone()
    assert recorded[0] == sum(len(suite.expectations) for suite in load_suites().values())  # every expectation


def test_a_failed_blocking_check_stops_dbt_and_is_recorded(run_hourly, demo_world):
    live = _live_mart_oids()
    with connect(app_db_url(), autocommit=True) as conn:
        target = conn.execute("SELECT id FROM credit_transactions WHERE type = 'purchase' LIMIT 1").fetchone()[0]
        conn.execute("UPDATE credit_transactions SET amount = -amount, updated_at = now() - interval '1 minute'"
                     " WHERE id = %s", (target,))
    try:
        result = run_hourly()
    finally:
        with connect(app_db_url(), autocommit=True) as conn:
            conn.execute("UPDATE credit_transactions SET amount = -amount, updated_at = now() WHERE id = %s",
                         (target,))
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["gx_credit_transactions"].passed is False
    assert evaluations["gx_credit_transactions"].severity.value == "ERROR"
    assert evaluations["gx_videos"].passed is True
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert AssetKey(["raw_app", "videos"]) in materialized
    # Nothing downstream of the failed blocking check is rebuilt: the models keep their last good data.
    assert not [key for key in materialized if key.path[0] in ("staging", "intermediate", "marts")]
    assert PUBLISHED_MARTS not in materialized and AssetKey(["superset", "dashboards"]) not in materialized
    assert _live_mart_oids() == live  # readers, dashboards and the email keep the last good numbers
    assert not result.success
    with connect(role_url("transformer")) as conn:
        failed = conn.execute(
            "SELECT expectation FROM ops.dq_results WHERE run_id = %s AND NOT success", (result.run_id,)
        ).fetchall()
    expected = "purchases and plan allocations add credits; usage and expiration remove them"
    assert [row[0] for row in failed] == [expected]


def test_a_stale_source_fails_its_freshness_check_and_blocks_dbt(run_hourly):
    """Nothing new from Stripe for 7 hours (its loads keep running and find nothing): the blocking
    freshness check fails on every Stripe table and nothing downstream is rebuilt."""
    with connect(role_url("loader"), autocommit=True) as conn:
        shifted = [row[0] for row in conn.execute(
            "UPDATE ops.load_audit SET finished_at = finished_at - interval '7 hours'"
            " WHERE source = 'stripe' RETURNING id").fetchall()]
    try:
        result = run_hourly()
    finally:
        with connect(role_url("loader"), autocommit=True) as conn:
            conn.execute("UPDATE ops.load_audit SET finished_at = finished_at + interval '7 hours'"
                         " WHERE id = ANY(%s)", (shifted,))
    assert shifted
    freshness = {e.asset_key.path[0]: e for e in result.get_asset_check_evaluations()
                 if e.asset_check_key.name == "source_freshness"}
    assert freshness["raw_stripe"].passed is False and freshness["raw_stripe"].severity.value == "ERROR"
    assert "landed 7." in freshness["raw_stripe"].metadata["detail"].value
    assert freshness["raw_app"].passed is True
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert not [key for key in materialized if key.path[0] in ("staging", "intermediate", "marts")]
    assert not result.success


def test_every_blocking_mart_check_gates_publishing_and_dashboards():
    """A mart's blocking check failing skips everything downstream of that mart in the run: publishing the marts
    must be downstream of every mart, and the dashboards downstream of publishing."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    upstream_of_publish = graph.get(PUBLISHED_MARTS).parent_keys
    assert set(MART_KEYS) == upstream_of_publish
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    blocking_on_marts = {spec.asset_key for spec in specs if spec.blocking and spec.asset_key.path[0] == "marts"}
    assert len(blocking_on_marts) >= 7 and blocking_on_marts <= upstream_of_publish
    assert PUBLISHED_MARTS in graph.get(AssetKey(["superset", "dashboards"])).parent_keys


def test_the_code_location_loads_with_every_job_schedule_and_sensor():
    """What `dagster dev` and the webserver do first: every job's config schema must resolve."""
    from orchestration.definitions import defs

    repository = defs.get_repository_def()
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {"hourly_refresh", "full_rebuild", "weekly_report"} <= jobs
    for job in repository.get_all_jobs():
        assert job.run_config_schema is not None
    schedule = repository.get_schedule_def("hourly_refresh_schedule")
    assert schedule.cron_schedule == "0 * * * *" and schedule.execution_timezone == "UTC"
    assert schedule.default_status.value == "RUNNING"
    assert repository.get_job("full_rebuild").tags["reelhouse/full_refresh"] == "true"
    assert repository.has_sensor_def("alert_data_team_on_final_failure")
    weekly = repository.get_schedule_def("weekly_report_schedule")
    assert weekly.cron_schedule == "0 8 * * 1" and weekly.execution_timezone == "UTC"


def test_the_next_hourly_run_checks_rows_landed_since_the_last_publication(stripe_env):
    """Publishing records when its run started and which checks it ran (dbt project and GX suites); the next hourly
    run with the same checks narrows its staging row tests and the raw tables' GX row expectations to what landed
    since (tests/transform/test_landed_row_tests.py and tests/test_expectations.py show what that reads), and
    different checks read every row."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.lib.audited_rows import (
        FINGERPRINT,
        LANDED_BEFORE,
        audit_fingerprint,
        incremental_lookback,
        landed_since,
    )
    from orchestration.lib.dbt_project import dbt_project

    job = defs.resolve_job_def("hourly_refresh")
    fingerprint = audit_fingerprint(dbt_project.manifest_path)
    with DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(instance=instance, raise_on_error=False)
        assert first.success
        published = next(event.materialization for event in first.get_asset_materialization_events()
                         if event.asset_key == PUBLISHED_MARTS)
        assert published.metadata[FINGERPRINT].value == fingerprint
        assert instance.get_run_by_id(first.run_id).tags[FINGERPRINT] == fingerprint  # what the dbt step built
        started = instance.get_run_record_by_id(first.run_id).start_time
        since = landed_since(instance, fingerprint)
        assert since is not None and abs(since.timestamp() - started) < 1e-3, (since, started)
        assert published.metadata[LANDED_BEFORE].value == since.isoformat()
        assert landed_since(instance, "another project") is None

        second = job.execute_in_process(instance=instance, raise_on_error=False)
        assert second.success
        said = [entry.user_message for run in (first, second) for entry in instance.all_logs(run.run_id)
                if "row tests" in (entry.user_message or "")]
    assert any("read every row" in message for message in said[:1]), said
    assert any(f"landed since {since.isoformat()}" in message for message in said[1:]), said

    def gx_rows_read(run) -> dict[str, str]:
        return {"/".join(e.asset_key.path): e.metadata["rows_read"].value for e in run.get_asset_check_evaluations()
                if e.check_name.startswith("gx_")}

    first_read, second_read = gx_rows_read(first), gx_rows_read(second)
    raw = {table for table in first_read if table.startswith("raw_")}
    assert raw and set(first_read) == set(second_read) and set(first_read) - raw, first_read
    assert set(first_read.values()) == {"every row"}
    narrowed_from = (since - incremental_lookback(dbt_project.project_dir)).isoformat()
    assert {second_read[table] for table in raw} == {
        f"row expectations: rows landed since {narrowed_from}, and rows sharing their key"}, second_read
    assert {second_read[table] for table in set(second_read) - raw} == {"every row"}  # marts: built afresh


def test_a_published_full_rebuild_leaves_the_next_build_its_rebuilt_incremental_rows(stripe_env):
    """An incremental mart's rows live once, in its versioned table in marts_store; both mart schemas hold a view over
    it. A full rebuild retires the versions it changed and writes their new ones (not every row again: those it
    rebuilt the same stay); once published, the build schema's view (watermark 'infinity') shows exactly what readers
    see, so the next hourly run builds on the rebuilt rows by construction, with nothing copied, and publishing
    deleted the versions the rebuild retired."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.lib.dbt_project import incremental_marts

    tables = incremental_marts()
    assert {"fct_llm_calls", "fct_user_engagement_spells", "fct_student_engagement_spells"} <= set(tables)
    with DagsterInstance.ephemeral() as instance:
        first = defs.resolve_job_def("hourly_refresh").execute_in_process(instance=instance, raise_on_error=False)
        assert first.success
        with connect(role_url("transformer")) as conn:
            live_before = {table: conn.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]  # noqa: S608
                           for table in tables}
        rebuild = defs.resolve_job_def("full_rebuild").execute_in_process(instance=instance, raise_on_error=False)
        assert rebuild.success, [e.message for e in rebuild.all_events if e.is_failure]
        published = next(event.materialization for event in rebuild.get_asset_materialization_events()
                         if event.asset_key == PUBLISHED_MARTS)
        deleted = published.metadata["retired_versions_deleted"].value
        # The same data rebuilt: far fewer versions retired than rows (every row, before unchanged ones were kept).
        assert all(deleted[table] < live_before[table] for table in tables), (deleted, live_before)

        with connect(role_url("transformer")) as conn:
            for table in tables:
                differing = conn.execute(
                    f"SELECT (SELECT count(*) FROM (TABLE marts.{table} EXCEPT ALL TABLE marts_next.{table}) AS a),"  # noqa: S608
                    f" (SELECT count(*) FROM (TABLE marts_next.{table} EXCEPT ALL TABLE marts.{table}) AS b),"
                    f" (SELECT count(*) FROM marts.{table}), (SELECT count(*) FROM marts_store.{table})").fetchone()
                assert differing[:2] == (0, 0) and differing[2] == differing[3] > 0, (table, differing)
                kinds = conn.execute("SELECT array_agg(DISTINCT c.relkind::text) FROM pg_class c JOIN pg_namespace n"
                                     " ON n.oid = c.relnamespace WHERE c.relname = %s AND n.nspname IN"
                                     " ('marts', 'marts_next')", (table,)).fetchone()[0]
                assert kinds == ["v"], (table, kinds)

        after = defs.resolve_job_def("hourly_refresh").execute_in_process(instance=instance, raise_on_error=False)
        assert after.success, [e.message for e in after.all_events if e.is_failure]
