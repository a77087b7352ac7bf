"""Every benchmark at one scale, in one command: the report BENCHMARKS.md is written from.

    python benchmarks/run.py --scale small              # the demo world: 2,000 users x 120 days (~25 min)
    python benchmarks/run.py --scale medium             # 100,000 users x 30 days, ~10M app rows (hours)
    python benchmarks/run.py --scale small --only hourly_run.py

Runs each script of benchmarks/ in turn with the sizes of the scale (SCALES below), each on its own private
embedded PostgreSQL (and Superset), and writes their Markdown reports, with the machine they ran on, to
`.reelhouse/bench/results/<scale>-<time>.md`. A scale's world is generated once and cached (benchmarks/_world.py),
so the scripts after the first restore it instead of generating it again. `tiny` is the CI smoke run
(tests/test_benchmarks.py): it proves the scripts work; its numbers mean nothing. hourly_run.py also caches what its
first full ingestion of a world landed and restores it on the next run at that size (benchmarks/_landed.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
RESULTS = BENCHMARKS.parent / ".reelhouse" / "bench" / "results"

# For each scale, the arguments of each script. hourly_delta grows one event table of a small world to --rows
# (the "10M+ rows in the warehouse" case) rather than generating a world that size.
SCALES: dict[str, dict[str, list[str]]] = {
    "tiny": {
        "ingest_throughput.py": ["--users", "30", "--days", "5", "--stripe-objects", "2000",
                                 "--stripe-latency-ms", "20"],
        "hourly_delta.py": ["--rows", "20000", "--repeat", "1", "--users", "30", "--days", "5"],
        "hourly_run.py": ["--users", "40", "--days", "7", "--runs", "1"],
        "dashboard_latency.py": ["--users", "40", "--days", "14", "--sql-repeats", "2", "--api-repeats", "1",
                                 "--browser-repeats", "1"],
    },
    "small": {
        "ingest_throughput.py": ["--users", "2000", "--days", "120"],
        "hourly_delta.py": ["--rows", "1000000"],
        "hourly_run.py": ["--users", "2000", "--days", "120", "--runs", "3"],
        "dashboard_latency.py": ["--users", "2000", "--days", "120"],
    },
    "medium": {
        "ingest_throughput.py": ["--users", "100000", "--days", "30"],
        "hourly_delta.py": ["--rows", "10000000"],
        "hourly_run.py": ["--users", "100000", "--days", "30", "--runs", "3"],
        "dashboard_latency.py": ["--users", "100000", "--days", "30", "--browser-repeats", "3"],
    },
    "large": {
        "ingest_throughput.py": ["--users", "1000000", "--days", "15"],
        "hourly_delta.py": ["--rows", "50000000"],
        "hourly_run.py": ["--users", "1000000", "--days", "15", "--runs", "2", "--sdk-sample", "20000"],
        "dashboard_latency.py": ["--users", "1000000", "--days", "15", "--browser-repeats", "3"],
    },
}
SCRIPTS = list(SCALES["tiny"])


def machine() -> str:
    """One line saying what the numbers were measured on."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{platform.node()}: {os.cpu_count()} cores, {memory:.0f} GB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}; load average at start {load}")


def run_script(script: str, arguments: list[str]) -> tuple[int, str, float]:
    """The script's exit code, its Markdown report (stdout) and its wall time; its progress goes to stderr."""
    started = time.perf_counter()
    # A private warehouse per script: nothing of the caller's Reelhouse settings may leak into it.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("REELHOUSE_", "STRIPE_", "SUPERSET_URL", "WAREHOUSE_URL", "APP_DB_URL"))}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *arguments], cwd=BENCHMARKS.parent, env=env,
                          stdout=subprocess.PIPE, text=True, check=False)
    return done.returncode, done.stdout, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--scale", choices=list(SCALES), default="small", help="sizes to run at (default small)")
    parser.add_argument("--only", action="append", choices=SCRIPTS, help="run just this script (repeatable)")
    args = parser.parse_args()

    started_at = datetime.now(UTC)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report_path = RESULTS / f"{args.scale}-{started_at:%Y%m%dT%H%M%S}.md"
    sections = [f"# Benchmarks at the {args.scale} scale, {started_at:%Y-%m-%d %H:%M} UTC\n", f"Machine: {machine()}\n"]
    failed = []
    for script in args.only or SCRIPTS:
        arguments = SCALES[args.scale][script]
        print(f"== {script} {' '.join(arguments)}", file=sys.stderr, flush=True)
        code, report, seconds = run_script(script, arguments)
        sections.append(f"## {script} {' '.join(arguments)}\n\n(exit {code}, {seconds / 60:.1f} min)\n\n{report}")
        report_path.write_text("\n".join(sections))  # kept as it grows: a long run stopped early keeps its part
        if code != 0:
            failed.append(script)
    print("\n".join(sections))
    print(f"report written to {report_path}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
