"""Pipeline runs started at once: two `reelhouse run hourly` (two cron entries, two people), or one from the command
line and one Dagster executes. They must take turns on the warehouse, never interleave, and load nothing twice.

Dagster's run queue (tag `reelhouse/pipeline`, limit 1) only sees runs the daemon launches; `reelhouse run` executes
in its own process, so it holds the warehouse's pipeline lock (orchestration/lib/run_lock.py) for the whole run, and the
jobs' executor takes the same lock in the runs Dagster executes."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from faultkit import run_cli, wait_for
from psycopg import sql

from reelhouse.warehouse import admin_url, connect

RUN_TITLE = re.compile(r"hourly_refresh run ([0-9a-f]{8})")
APP_TABLES_CHECKED = ("users", "videos", "messages", "video_progress", "credit_transactions")


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reelhouse", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **env})


def dagster_runs() -> dict[str, tuple[str, datetime | None, datetime | None]]:
    """Every run in the local Dagster instance: id -> (status, start, end); empty before its first run."""
    with connect(admin_url("postgres")) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'dagster'").fetchone():
            return {}
    with connect(admin_url("dagster")) as conn:
        if not conn.execute("SELECT to_regclass('runs')").fetchone()[0]:
            return {}
        rows = conn.execute("SELECT run_id, status, to_timestamp(start_time), to_timestamp(end_time) FROM runs")
        return {run_id: (status, start, end) for run_id, status, start, end in rows}


def keyless_raw_tables(warehouse: str) -> list[str]:
    """raw_* tables without a primary key: a load that wrote a key twice could not have built it."""
    with connect(warehouse) as conn:
        return [row[0] for row in conn.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname LIKE 'raw\\_%%' AND c.relkind = 'r'"
            " AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)")]


def fingerprint(url: str, schema: str, table: str) -> tuple:
    query = sql.SQL("SELECT count(*), count(DISTINCT id), md5(string_agg(id::text || updated_at::text, ','"
                    " ORDER BY id)) FROM {}").format(sql.Identifier(schema, table))
    with connect(url) as conn:
        return conn.execute(query).fetchone()


@pytest.mark.timeout(2400)
def test_two_hourly_runs_started_at_once_take_turns_and_load_each_row_once(fresh_database, stripe_env, demo_world):
    """Both start on a new warehouse, so both would do first loads and full dbt builds: the worst case."""
    warehouse = fresh_database("reliability_two_runs")
    runs = [cli("run", "hourly", env={"WAREHOUSE_URL": warehouse}) for _ in range(2)]
    outputs = []
    try:
        for run in runs:
            stdout, stderr = run.communicate(timeout=2000)
            outputs.append((run.returncode, stdout, stderr))
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    for returncode, stdout, stderr in outputs:
        assert returncode == 0, stdout[-3000:] + stderr[-3000:]
        assert "Traceback" not in stdout + stderr
    waited = [stdout for _, stdout, _ in outputs if "waiting for it to finish" in stdout]
    assert len(waited) == 1, [stdout[:600] for _, stdout, _ in outputs]  # exactly one queued behind the other
    assert "reelhouse run hourly" in waited[0]  # and it said who it waits for

    prefixes = [RUN_TITLE.search(stdout).group(1) for _, stdout, _ in outputs]
    mine = sorted((run for run_id, run in dagster_runs().items() if run_id[:8] in prefixes), key=lambda run: run[1])
    assert [status for status, _, _ in mine] == ["SUCCESS", "SUCCESS"]
    (_, first_start, first_end), (_, second_start, second_end) = mine
    assert first_end <= second_start  # one after the other, never interleaved

    with connect(warehouse) as conn:  # every table load happened inside exactly one of the two runs
        loads = conn.execute("SELECT status, started_at, finished_at FROM ops.load_audit").fetchall()
    assert loads and all(status == "ok" for status, _, _ in loads)
    within = [[start <= started and finished <= end for _, started, finished in loads]
              for _, start, end in mine]
    assert all(a != b for a, b in zip(*within, strict=True)), loads
    assert any(within[0]) and any(within[1])  # both runs really loaded

    assert keyless_raw_tables(warehouse) == []
    for table in APP_TABLES_CHECKED:
        assert fingerprint(warehouse, "raw_app", table) == fingerprint(demo_world["app_url"], "public", table), table


def test_a_run_with_no_wait_while_another_holds_the_warehouse_exits_naming_it(fresh_database):
    from orchestration.lib.run_lock import pipeline_lock

    warehouse = fresh_database("reliability_busy_pipeline")
    runs_before = dagster_runs()
    with pipeline_lock(warehouse, "reelhouse run full (a test holding it)"):
        busy = run_cli("run", "hourly", "--no-wait", env={"WAREHOUSE_URL": warehouse})
    assert busy.returncode == 1, busy.stdout + busy.stderr
    assert "Traceback" not in busy.stdout + busy.stderr
    lines = [line for line in busy.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, busy.stderr
    for text in ("another pipeline run is in progress", "reelhouse run full (a test holding it)",
                 "not starting hourly_refresh"):
        assert text in lines[0], lines[0]
    assert dagster_runs() == runs_before  # no run was even recorded
    assert nothing_loaded(warehouse)


def nothing_loaded(warehouse: str) -> bool:
    with connect(warehouse) as conn:
        return conn.execute("SELECT to_regclass('ops.load_audit')").fetchone()[0] is None or \
            conn.execute("SELECT count(*) FROM ops.load_audit").fetchone()[0] == 0


def waiting_dagster_runs(warehouse: str) -> int:
    """Sessions of runs Dagster executes that wait for an advisory lock on this warehouse database."""
    with connect(warehouse) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
            " AND NOT l.granted AND a.application_name LIKE 'dagster run %%' AND a.datname = current_database()"
        ).fetchone()[0]


@pytest.mark.timeout(1800)
def test_a_run_dagster_executes_waits_for_a_command_line_run_to_finish(fresh_database, stripe_env, tmp_path,
                                                                        monkeypatch):
    """The daemon's run worker executes a job through the job's executor, outside `reelhouse run`: it must take
    the same turn. `dagster job execute` goes the same way (the in-process flavour of the executor, to keep the
    test short)."""
    from orchestration.lib.instance import prepare_dagster_home
    from orchestration.lib.run_lock import pipeline_lock

    warehouse = fresh_database("reliability_dagster_waits")
    env = {"WAREHOUSE_URL": warehouse}
    init = run_cli("db", "init", env=env)  # what a deployment does once, before the daemon runs anything
    assert init.returncode == 0, init.stdout + init.stderr
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # prepare_dagster_home exports it; restored after the test
    env["DAGSTER_HOME"] = str(prepare_dagster_home())
    config = tmp_path / "run_config.yaml"
    config.write_text("execution:\n  config:\n    in_process: {}\n")
    log = tmp_path / "dagster.log"  # a file, not a pipe: Dagster's compute-log tails would hold a pipe open
    command = [sys.executable, "-m", "dagster", "job", "execute", "-m", "orchestration.definitions",
               "-j", "hourly_refresh", "-c", str(config)]
    with log.open("w") as output:
        run = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **env},
                               start_new_session=True)
    try:
        with pipeline_lock(warehouse, "reelhouse run hourly (held by the test)"):
            wait_for(lambda: waiting_dagster_runs(warehouse) or run.poll() is not None,
                     "the Dagster run to wait for the lock", timeout=300)
            assert run.poll() is None, log.read_text()[-3000:]
            assert nothing_loaded(warehouse)  # it waits before its first step
        released = datetime.now(UTC)
        run.wait(timeout=1500)
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of the run and its compute-log tails
            os.killpg(run.pid, signal.SIGKILL)
    output = log.read_text()
    assert run.returncode == 0, output[-5000:]
    assert "waiting for it to finish" in output and "reelhouse run hourly (held by the test)" in output
    with connect(warehouse) as conn:
        loads = conn.execute("SELECT status, started_at FROM ops.load_audit").fetchall()
    assert loads and all(status == "ok" and started >= released for status, started in loads)


@pytest.mark.timeout(900)
def test_a_killed_command_line_run_is_marked_failed_by_the_next_one_so_the_queue_moves(fresh_database, stripe_env,
                                                                                        monkeypatch):
    """SIGKILL leaves the run STARTED in Dagster with the `reelhouse/pipeline` tag, which the run queue counts
    against its limit of one: no scheduled hourly refresh would start again. The next command-line run fails it."""
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

    from orchestration.lib.abandoned_runs import CLI_PROCESS_TAG, fail_abandoned_runs, this_process
    from orchestration.lib.instance import PIPELINE_TAG, prepare_dagster_home

    warehouse = fresh_database("reliability_killed_cli_run")
    before = set(dagster_runs())
    run = subprocess.Popen([sys.executable, "-m", "reelhouse", "run", "hourly"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env={**os.environ, "WAREHOUSE_URL": warehouse},
                           start_new_session=True)
    try:
        wait_for(lambda: any(status == "STARTED" for run_id, (status, _, _) in dagster_runs().items()
                             if run_id not in before), "the command-line run to start", timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
    killed = next(run_id for run_id in set(dagster_runs()) - before)
    assert dagster_runs()[killed][0] == "STARTED"  # what the dead process left behind

    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # prepare_dagster_home exports it; restored after the test
    monkeypatch.setenv("WAREHOUSE_URL", warehouse)
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        alive = instance.add_run(DagsterRun(job_name="hourly_refresh", status=DagsterRunStatus.STARTED,
                                            tags={PIPELINE_TAG: "hourly_refresh", CLI_PROCESS_TAG: this_process()}))
        try:
            assert fail_abandoned_runs(instance) == [killed]
            assert instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE
            assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED  # its process lives
            assert fail_abandoned_runs(instance) == []
            messages = [entry.message for entry in instance.all_logs(killed)]
            assert any("ended without finishing it" in message for message in messages), messages
        finally:
            instance.report_run_failed(instance.get_run_by_id(alive.run_id), message="test cleanup")
