"""The benchmark smoke run: every script in benchmarks/ runs end to end at the tiny scale, through the one command
(`benchmarks/run.py`), and prints its report.

The numbers are not asserted (timings come from real runs, BENCHMARKS.md); this proves the scripts still work
against the current code, so the next real measurement does not start with a repair. `hourly_run.py` runs twice on a
private cache folder (BENCH_CACHE_DIR): the first ingests and caches what it landed, the second restores that.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from _landed import cached_landing, fingerprint, ingestion_ops_tables  # noqa: E402  (benchmarks/ is not a package)
from run import SCALES, SCRIPTS  # noqa: E402


def test_every_benchmark_script_runs_at_every_scale():
    scripts = sorted(path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_"))
    assert sorted(SCRIPTS) == [name for name in scripts if name != "run.py"]
    assert all(sorted(sizes) == sorted(SCRIPTS) for sizes in SCALES.values())


def run_tiny(script: str, env: dict[str, str] | None = None) -> str:
    """run.py at the tiny scale for one script; asserts the smoke run's promises and returns the report."""
    # run.py gives each script its own private warehouse (and Superset); nothing of the test session's is shared.
    done = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--scale", "tiny", "--only", script],
                          cwd=BENCHMARKS.parent, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=1500)
    report = done.stdout
    assert done.returncode == 0, (report[-3000:], done.stderr[-5000:])
    assert "Traceback" not in done.stderr
    assert f"## {script} " in report and "Machine: " in report
    table_rows = [line for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table_rows) >= 2, report[-3000:]  # a header and at least one measured row
    written = done.stderr.strip().splitlines()[-1].removeprefix("report written to ")
    assert Path(written).read_text().strip() == report.strip()
    return report


@pytest.mark.parametrize("script", [name for name in SCRIPTS if name != "hourly_run.py"])
def test_the_benchmark_runs_at_the_tiny_scale_and_reports(script):
    run_tiny(script)


@pytest.mark.timeout(2700)  # two hourly_run.py processes (about 6 minutes each on a quiet machine)
def test_the_hourly_run_caches_what_ingestion_landed_and_the_next_run_restores_it(tmp_path):
    cache = tmp_path / "worlds"
    env = {"BENCH_CACHE_DIR": str(cache), "BENCH_HOURLY_JSON": str(tmp_path / "first.json")}
    report = run_tiny("hourly_run.py", env)  # run.py's tiny hourly run: generates, ingests, caches the landing
    first = json.loads((tmp_path / "first.json").read_text())
    assert first["landing"]["mode"] == "saved" and first["full_rebuild"]["rows_ingested"] > 500
    assert {"app_tables", "stripe_objects"} <= set(first["full_rebuild"]["steps"])
    assert "landed cache written" in report
    folder = Path(first["world"]["folder"])
    assert folder.parent == cache  # private: never the shared .reelhouse/bench/worlds
    assert cached_landing(folder, first["landing"]["fingerprint"]) is not None
    assert first["disk"]["peak_data"] > 0 and first["disk"]["free_at_start"] > 0
    for layer in ("raw", "marts"):
        assert first["sizes"]["layers"][layer] > 0, first["sizes"]
    assert {"raw_app", "raw_stripe", "marts", "marts_next"} <= set(first["sizes"]["schemas"])
    assert first["sizes"]["marts_over_raw"] > 0
    # Each run records the rows each model wrote (run_results). The facts that read staging merge what landed since
    # their last build (less the margin), never the bulk again: at most the app rows the hour brought (they re-merged
    # the whole bulk load until their bound followed the last build's start and was read from the store). The spell
    # facts, bounded by their own newest landing, rebuild the bulk's users once, in the settling run, and write only
    # the spells that changed (none, in an hour where no activity of theirs landed): recorded, maybe 0.
    settling, measured = first["hourly"][0], first["hourly"][-1]
    assert len(first["hourly"]) == 2 and "after the bulk load" in settling["label"]
    landed = 0  # the runs are minutes apart: the measured one re-reads the settling one's hour, within the margin
    for run in (settling, measured):
        landed += sum(int(number.replace(",", "")) for number in re.findall(r"\d[\d,]*", run["delta"]))
        for fact in ("fct_prompts", "fct_llm_calls", "fct_video_views"):
            assert run["rows"].get(f"model.reelhouse.{fact}", 0) <= landed, (fact, run["delta"], run["rows"])
    assert "model.reelhouse.fct_user_engagement_spells" in settling["rows"], settling["rows"]
    assert "| raw_app | raw |" in report and "| marts_next | marts |" in report and "marts / raw = " in report

    # The second run at the same size restores the landing: no ingestion step, nothing ingested in bulk; its hourly
    # (settling) run then ingests the hour's delta on the restored cursors. --runs 0: no measured runs (CI's time).
    arguments = [*SCALES["tiny"]["hourly_run.py"][:4], "--runs", "0", "--json", str(tmp_path / "second.json")]
    done = subprocess.run([sys.executable, str(BENCHMARKS / "hourly_run.py"), *arguments], cwd=BENCHMARKS.parent,
                          env={**os.environ, "BENCH_CACHE_DIR": str(cache)}, capture_output=True, text=True,
                          timeout=1500)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-5000:])
    second = json.loads((tmp_path / "second.json").read_text())
    assert second["landing"]["mode"] == "restored", second["landing"]
    assert second["world"]["restored"] and second["full_rebuild"]["success"]
    assert second["full_rebuild"]["rows_ingested"] == 0
    assert not set(second["full_rebuild"]["steps"]) & {"app_tables", "stripe_objects", "provider_prices"}
    assert "dbt_models" in second["full_rebuild"]["steps"]
    settling = second["hourly"][0]
    assert settling["success"] and settling["phases"]["ingestion"] > 0
    assert second["sizes"]["layers"]["raw"] > 0 and second["sizes"]["layers"]["marts"] > 0
    assert "landed cache restored" in done.stdout and "at most 2,000 of each" in done.stdout


def test_the_landing_fingerprint_follows_the_ingestion_code_and_a_changed_one_finds_no_cache(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(BENCHMARKS.parent / "ingestion", root / "ingestion",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "reelhouse" / "warehouse").mkdir(parents=True)
    shutil.copy(BENCHMARKS.parent / "reelhouse" / "warehouse" / "bootstrap.py", root / "reelhouse" / "warehouse")
    digest = fingerprint(root)
    assert digest == fingerprint()  # the copy is the repository's ingestion code
    assert {"load_state", "load_audit", "stripe_slices"} <= set(ingestion_ops_tables(root))

    world = tmp_path / "worlds" / "40u-7d"
    landed = world / f"landed-{digest}"
    landed.mkdir(parents=True)
    (landed / "landed.json").write_text(json.dumps({"fingerprint": digest, "saved_at": "2026-12-06T00:00:00+00:00"}))
    assert cached_landing(world, digest) is not None

    contract = root / "ingestion" / "app_db" / "contracts.yml"
    contract.write_text(contract.read_text() + "\n# a changed contract\n")
    changed = fingerprint(root)
    assert changed != digest and cached_landing(world, changed) is None
    (root / "reelhouse" / "warehouse" / "bootstrap.py").write_text("# other DDL\n")
    assert fingerprint(root) not in (digest, changed)
    # a folder whose manifest names another fingerprint (copied or renamed by hand) is not read either
    (world / f"landed-{changed}").mkdir()
    (world / f"landed-{changed}" / "landed.json").write_text(json.dumps({"fingerprint": digest}))
    assert cached_landing(world, changed) is None


def test_the_hourly_run_refuses_to_start_without_the_disk_it_needs_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(BENCHMARKS / "hourly_run.py"), "--users", "40", "--days", "7",
                           "--min-free-gb", str(shutil.disk_usage(tmp_path).free / 2**30 + 1)],
                          cwd=BENCHMARKS.parent, env={**os.environ, "BENCH_CACHE_DIR": str(tmp_path / "worlds")},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "free on" in done.stderr and "this run needs" in done.stderr and "--min-free-gb" in done.stderr
    assert not list((tmp_path / "worlds").glob("*"))  # nothing started, nothing written
