"""One pipeline run at a time on a warehouse, however it was started.

Dagster's queued run coordinator keeps the daemon's `hourly_refresh` / `full_rebuild` runs one at a time (tag
`reelhouse/pipeline`, limit 1: orchestration/lib/instance.py), but `reelhouse run hourly|full` executes the job in
its own process and never passes through that queue. So a run from the command line holds a PostgreSQL advisory
lock on the warehouse database for its whole duration: a second one started meanwhile waits for it, saying who it
waits for (or, with `--no-wait`, exits naming the run in progress). Its run is recorded in the Dagster instance
with the same tag, so the daemon's queue also holds scheduled runs back while it is in progress; and the runs
Dagster itself executes (the daemon, `dagster job execute`) take the same lock in their executor
(`pipeline_executor`, on the warehouse the job's `warehouse` resource reaches), so a run from the command line and
a scheduled one never overlap either.

The lock belongs to a session of its own, so it goes when the run ends and also when its process dies (SIGKILL,
out of memory, a lost connection): a crashed run never leaves a stale lock behind. It is an advisory lock on the
warehouse database, so it holds across machines sharing one warehouse too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dagster import ExecutorDefinition, build_resources, multi_or_in_process_executor
from dagster._core.events import DagsterEvent
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig
from dagster._core.executor.base import Executor

from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

LOCK_KEY = "reelhouse:pipeline"  # the advisory lock is hashtextextended(LOCK_KEY, 0)

# The session holding the lock, as pg_locks and pg_stat_activity show it (the application name is shown to
# every role; its start time only to the same role, which both CLI runs are: the loader).
_HOLDER_SQL = """
WITH k AS (SELECT hashtextextended(%s, 0) AS v)
SELECT a.application_name, a.pid, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, k
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = (k.v >> 32) & 4294967295 AND l.objid::bigint = k.v & 4294967295
"""


class PipelineBusy(ReelhouseError):
    """Another pipeline run holds the warehouse."""


def lock_holder(conn) -> str:
    """Who holds the pipeline lock, in words ("reelhouse run hourly (pid 1234 on host), since ... UTC")."""
    row = conn.execute(_HOLDER_SQL, (LOCK_KEY,)).fetchone()
    if row is None:
        return "a run that has just finished"
    name, pid, since = row
    who = name or f"warehouse session {pid}"
    return f"{who}, since {since} UTC" if since else who


@contextmanager
def pipeline_lock(warehouse_url: str, label: str, *, wait: bool = True,
                  on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse's pipeline lock while the block runs.

    `label` names this run to whoever finds the lock taken (PostgreSQL keeps the first 63 bytes). If another
    run holds it: with `wait`, call `on_wait` with its description and block until it is free; without, raise
    PipelineBusy naming it.
    """
    conn = connect(warehouse_url, autocommit=True)
    try:
        conn.execute("SELECT set_config('application_name', %s, false)", (label,))
        taken = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (LOCK_KEY,)).fetchone()[0]
        if not taken:
            holder = lock_holder(conn)
            if not wait:
                raise PipelineBusy(f"another pipeline run is in progress on this warehouse ({holder})")
            if on_wait:
                on_wait(holder)
            conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (LOCK_KEY,))
        yield
    finally:
        conn.close()  # ending the session releases the lock


class _OneRunAtATime(Executor):
    """Dagster's default executor, holding the pipeline lock around the whole run."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    @property
    def retries(self) -> RetryMode:
        return self._inner.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        run = plan_context.dagster_run

        def waiting(holder: str) -> None:
            plan_context.log.info(f"another pipeline run is in progress ({holder}); waiting for it to finish")

        # The warehouse this run's assets write to: the job's own `warehouse` resource, initialised as a step would.
        warehouse_def = plan_context.job.get_definition().resource_defs["warehouse"]
        with build_resources({"warehouse": warehouse_def}, instance=plan_context.instance) as resources:
            loader_url = resources.warehouse.url("loader")
        with pipeline_lock(loader_url, f"dagster run {run.run_id[:8]} ({run.job_name})", on_wait=waiting):
            yield from self._inner.execute(plan_context, execution_plan)


# The pipeline jobs' executor wherever Dagster runs them (the daemon, `dagster job execute`): multiprocess or in
# process exactly like Dagster's default, holding the pipeline lock for the whole run. (`execute_in_process`, which
# `reelhouse run` uses, brings its own executor: the CLI takes the lock itself.)
pipeline_executor = ExecutorDefinition(
    name="one_pipeline_run_at_a_time",
    config_schema=multi_or_in_process_executor.config_schema,
    requirements=multi_or_in_process_executor.get_requirements,
    executor_creation_fn=lambda init_context: _OneRunAtATime(
        multi_or_in_process_executor.executor_creation_fn(init_context)),
    description="Dagster's multiprocess/in-process executor, one pipeline run at a time per warehouse.",
)
