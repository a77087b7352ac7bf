"""The benchmark smoke run: every script in benchmarks/ runs end to end at a tiny scale and prints its report.

The numbers are not asserted (timings come from the scripts on a real run, BENCHMARKS.md); this proves the
scripts still work against the current code, so the next real measurement does not start with a repair.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TINY = {
    "ingest_throughput.py": ["--users", "30", "--days", "5"],
    "hourly_delta.py": ["--rows", "20000", "--repeat", "1", "--users", "30", "--days", "5"],
    "hourly_run.py": ["--users", "40", "--days", "7", "--runs", "1"],
    "dashboard_latency.py": ["--users", "40", "--days", "14", "--sql-repeats", "2", "--api-repeats", "1",
                             "--browser-repeats", "1"],
}


def test_every_benchmark_script_is_in_the_smoke_run():
    assert sorted(TINY) == sorted(path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_"))


@pytest.mark.parametrize("script", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_scale_and_reports(script):
    # Each script makes its own private warehouse (and Superset); nothing of the test session's is shared.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("REELHOUSE_", "STRIPE_", "SUPERSET_URL", "WAREHOUSE_URL"))}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *TINY[script]], cwd=BENCHMARKS.parent,
                          env=env, capture_output=True, text=True, timeout=1500)
    report = done.stdout
    assert done.returncode == 0, (report[-3000:], done.stderr[-5000:])
    assert "Traceback" not in done.stderr
    table_rows = [line for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table_rows) >= 2, report[-3000:]  # a header and at least one measured row
