"""Runs whose process died without telling Dagster, marked failed so they stop holding the queue.

`reelhouse run` executes a job in its own process. Killed with SIGKILL (or out of memory) it cannot report
the end of its run, which then stays STARTED for ever; and because it carries the `reelhouse/pipeline` tag, the
queued run coordinator counts it against that tag's limit of one, so no scheduled hourly refresh would ever
start again. Each command-line run therefore records the process that executes it (CLI_PROCESS_TAG), and the
next one, once it holds the pipeline lock, fails every unfinished run whose process on this host is gone.
"""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from reelhouse.processes import process_is_alive

CLI_PROCESS_TAG = "reelhouse/cli_process"  # "<host>:<pid>" of the `reelhouse run` process executing the run
_UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def this_process() -> str:
    """The CLI_PROCESS_TAG value for the current process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def fail_abandoned_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed the unfinished command-line runs whose process on this host has died; returns their ids.

    Runs executed on another host are left alone: their process cannot be checked from here.
    """
    host = socket.gethostname()
    failed = []
    for run in instance.get_runs(RunsFilter(statuses=_UNFINISHED)):
        where = run.tags.get(CLI_PROCESS_TAG, "")
        run_host, _, pid = where.rpartition(":")
        if run_host != host or not pid.isdigit() or process_is_alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"the `reelhouse run` process executing this run (pid {pid} on "
                                                f"{host}) ended without finishing it (killed?); marked failed")
        failed.append(run.run_id)
    return failed
