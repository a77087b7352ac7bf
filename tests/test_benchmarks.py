"""The benchmark smoke run: every script in benchmarks/ runs end to end at the tiny scale, through the one command
(`benchmarks/run.py`), and prints its report.

The numbers are not asserted (timings come from real runs, BENCHMARKS.md); this proves the scripts still work
against the current code, so the next real measurement does not start with a repair.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from run import SCALES, SCRIPTS  # noqa: E402  (benchmarks/ is not a package)


def test_every_benchmark_script_runs_at_every_scale():
    scripts = sorted(path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_"))
    assert sorted(SCRIPTS) == [name for name in scripts if name != "run.py"]
    assert all(sorted(sizes) == sorted(SCRIPTS) for sizes in SCALES.values())


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_benchmark_runs_at_the_tiny_scale_and_reports(script):
    # run.py gives each script its own private warehouse (and Superset); nothing of the test session's is shared.
    done = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--scale", "tiny", "--only", script],
                          cwd=BENCHMARKS.parent, env=dict(os.environ), capture_output=True, text=True, timeout=1500)
    report = done.stdout
    assert done.returncode == 0, (report[-3000:], done.stderr[-5000:])
    assert "Traceback" not in done.stderr
    assert f"## {script} " in report and "Machine: " in report
    table_rows = [line for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table_rows) >= 2, report[-3000:]  # a header and at least one measured row
    written = done.stderr.strip().splitlines()[-1].removeprefix("report written to ")
    assert Path(written).read_text().strip() == report.strip()
