"""Hourly run vs full rebuild: the Dagster jobs end to end on a private warehouse, split by step.

    python benchmarks/hourly_run.py                      # the demo scale: 2,000 users x 120 days
    python benchmarks/hourly_run.py --users 10000 --runs 3

Runs on a private embedded PostgreSQL (its own temporary state folder and ports), so it never touches
your warehouse. It generates the demo world, serves its Stripe account on a free port, then:
  1. lists every Stripe resource through the SDK (auto_paging_iter, limit=100): objects/s of SDK + server;
  2. runs `full_rebuild` once in this process (as `reelhouse run full` does) and times it;
  3. advances the world by one hour (app database + Stripe account, as `reelhouse demo advance` does) and runs
     `hourly_refresh`: once right after the full rebuild, then, after moving every landing and build time a day
     back (as a warehouse that has run for a day has them: back_date_history), `--runs` more times.
Each run is split by step from the run's STEP_START / STEP_SUCCESS events (ingestion, dbt_models,
checks, publish); the dbt step is split further from dbt's run_results.json (dbt's own elapsed time vs
process start-up and parsing; slowest nodes). SUPERSET_URL points at a free port where nothing listens,
so the publish step only finds Superset down and skips. Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _world import World, prepare_world  # noqa: E402  (benchmarks/ helper)

AS_OF = datetime(2026, 11, 16, 12, tzinfo=UTC)  # the world's end: the same world on every run
INGESTION_STEPS = ("app_tables", "stripe_objects", "provider_prices")
# Hourly runs right after the full rebuild, before the history is back-dated (back_date_history): the first hourly
# run after a full rebuild re-merges its bulk load, which landed within the incremental facts' one-hour margin, into
# the copy of the rebuilt facts that publishing left in the build schema (reelhouse/warehouse/marts.py).
SETTLING_RUNS = 1
PHASES = ("ingestion", "dbt_models", "checks", "publish")


@dataclass
class DbtSplit:
    """What dbt itself reports for one invocation (run_results.json)."""

    elapsed: float = 0.0  # run_results.json: executing the nodes (after start-up and parsing)
    nodes: dict[str, float] = field(default_factory=dict)  # unique_id -> execution seconds
    first_log: float = 0.0  # epoch of dbt's first log line (the process is up)
    parsed: float = 0.0  # epoch of "Found N models ..." (the manifest is ready)
    last_log: float = 0.0  # epoch of dbt's last log line
    parse: str = "unknown"  # partial parse reused, or why not


@dataclass
class RunTiming:
    """One Dagster run: wall time, seconds per step and per phase, and the dbt step's own split."""

    job: str
    success: bool
    wall: float
    started: float  # epoch when execute_in_process was called
    step_spans: dict[str, tuple[float, float]]  # step key -> (STEP_START, STEP_SUCCESS) epochs
    failed: list[str]
    dbt: DbtSplit
    self_rss_mb: float
    children_rss_mb: float
    server_pss_mb: float

    @property
    def steps(self) -> dict[str, float]:
        return {key: end - start for key, (start, end) in self.step_spans.items()}

    def phase(self, name: str) -> float:
        return sum(seconds for step, seconds in self.steps.items() if phase_of(step) == name)

    def before_first_step(self) -> float:
        """Run start-up: execution plan, resources, run storage, before the first step starts."""
        return min((start for start, _ in self.step_spans.values()), default=self.started) - self.started


def phase_of(step_key: str) -> str:
    """Ingestion assets, the dbt step (models and their dbt tests), GX/load-health checks, publish."""
    if step_key in INGESTION_STEPS:
        return "ingestion"
    if step_key == "dbt_models":
        return "dbt_models"
    if step_key == "superset_dashboards":
        return "publish"
    return "checks"


def configure_environment(home: str) -> None:
    """A private state folder, free ports, and nothing inherited that points elsewhere."""
    from reelhouse.warehouse.embedded import free_port

    for name in ("WAREHOUSE_URL", "APP_DB_URL", "STRIPE_API_KEY", "STRIPE_API_BASE", "DAGSTER_HOME",
                 "DBT_TARGET_PATH"):
        os.environ.pop(name, None)
    os.environ.update(
        REELHOUSE_HOME=home,
        REELHOUSE_PG_PORT=str(free_port()),
        STRIPE_SERVER_PORT=str(free_port()),
        SUPERSET_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens there: publish skips
    )


def postgres_pss_mb(pgdata: Path) -> float:
    """Proportional set size of the postmaster and its backends (shared buffers counted once)."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    total_kb = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if int(proc.name) != postmaster and ppid != postmaster:
                continue
            for line in (proc / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total_kb / 1024


@contextmanager
def peak_server_memory(pgdata: Path, interval: float = 1.0) -> Iterator[list[float]]:
    """Sample the server's PSS in a thread while the block runs; yields a one-item list with the peak."""
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], postgres_pss_mb(pgdata))
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def dbt_split(run_id: str) -> DbtSplit:
    """dbt's own timings for this run's invocation, from dagster-dbt's per-run target folder:
    run_results.json (node times) and dbt.log (JSON lines: start-up, parse, partial-parse reuse)."""
    from orchestration.lib.dbt_project import dbt_project

    split = DbtSplit()
    for folder in sorted((dbt_project.project_dir / "target").glob(f"dbt_models-{run_id[:7]}-*")):
        results = folder / "run_results.json"
        if results.exists():
            data = json.loads(results.read_text())
            split.elapsed += data.get("elapsed_time", 0.0)
            split.nodes.update({r["unique_id"]: r.get("execution_time", 0.0) for r in data.get("results", [])})
        stamps: list[float] = []
        split.parse = "partial parse reused"
        for log in sorted(folder.glob("dbt.log*"), reverse=True):  # dbt.log.1 (rotated) before dbt.log
            for line in log.read_text(errors="replace").splitlines():
                try:
                    info = json.loads(line)["info"]
                except (ValueError, KeyError):
                    continue
                stamp = datetime.fromisoformat(info["ts"].replace("Z", "+00:00")).timestamp()
                stamps.append(stamp)
                if info["name"] == "FoundStats" and not split.parsed:
                    split.parsed = stamp
                elif info["name"] == "UnableToPartialParse":
                    split.parse = "full parse (" + info["msg"].split("because", 1)[-1].strip() + ")"
        if stamps:
            split.first_log, split.last_log = min(stamps), max(stamps)
        shutil.rmtree(folder, ignore_errors=True)  # the benchmark leaves nothing in the project's target
    return split


def run_job(name: str, pgdata: Path) -> RunTiming:
    """Execute one job in process on the local Dagster instance and split its run by step."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def(name)
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with DagsterInstance.get() as instance, peak_server_memory(pgdata) as server_peak:
        started, epoch = time.perf_counter(), time.time()
        with redirect_stdout(sys.stderr):  # dbt's streamed log lines stay out of the report
            result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False,
                                            tags=job.tags)
        wall = time.perf_counter() - started
        starts: dict[str, float] = {}
        ends: dict[str, float] = {}
        failed = []
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                starts.setdefault(event.step_key, entry.timestamp)  # a retried step keeps its first start
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
                                      DagsterEventType.STEP_SKIPPED):
                ends[event.step_key] = entry.timestamp
                if event.event_type == DagsterEventType.STEP_FAILURE:
                    failed.append(event.step_key)
    spans = {key: (start, ends[key]) for key, start in starts.items() if key in ends}
    return RunTiming(name, result.success, wall, epoch, spans, failed, dbt_split(result.run_id),
                     maxrss_mb(resource.RUSAGE_SELF), maxrss_mb(resource.RUSAGE_CHILDREN), server_peak[0])


def stripe_sdk_throughput(api_key: str, api_base: str, sample: int = 0) -> tuple[int, float]:
    """List every resource and the events through the SDK, auto-paging at limit=100: (objects, seconds).

    `sample` > 0 stops each resource after that many objects: at the large scale listing all of them takes
    about 20 minutes and says nothing the first pages do not (the rate is per page, not per account size)."""
    import stripe

    from ingestion.stripe.loader import LIST_PARAMS, RESOURCES

    client = stripe.StripeClient(api_key, base_addresses={"api": api_base})
    count = 0
    started = time.perf_counter()
    for name in (*RESOURCES, "events"):
        params = {**LIST_PARAMS.get(name, {}), "limit": 100}
        for listed, _ in enumerate(getattr(client.v1, name).list(params=params).auto_paging_iter(), start=1):
            count += 1
            if listed == sample:
                break
    return count, time.perf_counter() - started


def raw_stripe_rows() -> int:
    """Rows landed in raw_stripe (objects and events) after the full load."""
    from reelhouse.warehouse import admin_url, connect

    with connect(admin_url()) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'raw_stripe'")]
        return sum(conn.execute(f"SELECT count(*) FROM raw_stripe.{t}").fetchone()[0] for t in tables)  # noqa: S608


def app_rows() -> int:
    from reelhouse.warehouse import app_db_url, connect

    with connect(app_db_url()) as conn:
        return int(conn.execute("SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'public'")
                   .fetchone()[0] or 0)


def delta_label(summary: str) -> str:
    """'454 rows written in 7 tables, 31 rows updated' -> '454 new + 31 updated app rows'."""
    numbers = re.findall(r"([\d,]+) rows", summary)
    return f"{numbers[0]} new + {numbers[-1]} updated app rows" if len(numbers) >= 2 else summary


def back_date_history(hours: int = 24) -> str:
    """Move every landing and build time in the warehouse `hours` back: every raw table's `_loaded_at`, and in both
    mart schemas every incremental model's landing column and `built_at`.

    Incremental facts merge what landed since their newest `loaded_at` less a one-hour margin, and the hourly row
    tests read the rows landed (staging) or built (incremental models) since the last published build less the same
    margin. Runs minutes apart after a bulk load keep re-merging and re-testing that whole load, which landed and was
    built within the margin: true of the first hourly runs after a new warehouse or a full rebuild, not of a
    warehouse that has run for a while, where the bulk landed and was built long ago. Back-dating stands for that
    elapsed time, so the runs measured after it are steady state. One UPDATE a table shifts all its columns at once;
    updating every row leaves each table twice its size (the old row versions' pages stay allocated after a plain
    VACUUM), and every later scan would read the empty half: VACUUM FULL rewrites them as a bulk load leaves them.
    """
    from orchestration.lib.dbt_project import incremental_marts
    from reelhouse.warehouse import admin_url, connect
    from reelhouse.warehouse.bootstrap import RAW_SCHEMAS

    facts = incremental_marts()
    # A fact's landing column: `loaded_at` for the row facts, `activity_loaded_at` for the engagement facts,
    # `views_loaded_at` for the retention curves; every incremental model stamps `built_at` (macro build_stamp), and
    # its versions live once, in the store schema, with `retired_at` (the live schema's watermark moves with them).
    mart_columns = ("loaded_at", "activity_loaded_at", "views_loaded_at", "built_at", "retired_at")
    with connect(admin_url(), autocommit=True) as conn:
        found = conn.execute(
            "SELECT table_schema || '.' || table_name, array_agg(column_name::text ORDER BY column_name)"
            " FROM information_schema.columns WHERE (table_schema = ANY(%s) AND column_name = '_loaded_at')"
            " OR (table_schema = 'marts_store' AND table_name = ANY(%s) AND column_name = ANY(%s))"
            " GROUP BY 1 ORDER BY pg_total_relation_size((table_schema || '.' || table_name)::regclass) DESC",
            (list(RAW_SCHEMAS), facts, list(mart_columns))).fetchall()  # largest first: two workers end together

    def shift(target: tuple[str, list[str]]) -> int:
        table, columns = target
        moves = ", ".join(f"{column} = {column} - make_interval(hours => {int(hours)})" for column in columns)
        with connect(admin_url(), autocommit=True) as conn:
            if conn.execute(f"SELECT coalesce(max({columns[0]}) < now() - make_interval(hours => {int(hours) // 2}),"  # noqa: S608
                            f" true) FROM {table}").fetchone()[0]:
                return 0  # back-dated already (a --resume after an interrupted back-dating), or empty
            moved = conn.execute(f"UPDATE {table} SET {moves}").rowcount  # noqa: S608  (names from the catalog)
            conn.execute(f"VACUUM (FULL, ANALYZE) {table}")  # rewritten compact: every row was just updated
            return moved

    with ThreadPoolExecutor(max_workers=2) as pool:  # one table per core: an UPDATE runs on one
        moved = sum(pool.map(shift, found))
    if moved:  # the published build's stamp, as its rows' (not again on a --resume)
        with connect(admin_url(), autocommit=True) as conn:
            conn.execute("UPDATE marts._published SET watermark = watermark - make_interval(hours => %s)"
                         " WHERE watermark <> 'infinity'", (int(hours),))
    return f"{moved:,} rows in {len(found)} tables ({', '.join(sorted(table for table, _ in found))})"


def print_report(args: argparse.Namespace, world: World | None, rows: int,
                 import_seconds: float, sdk: tuple[int, float] | None, stripe_rows: int, full: RunTiming | None,
                 hourly: list[tuple[str, float, RunTiming]]) -> None:
    """Markdown tables: per run, per phase, the dbt step's own split, the slowest dbt nodes (a --resume run has
    no world, SDK listing or full rebuild of its own to report)."""
    print(f"\n## {args.users:,} users x {args.days} days (seed {args.seed})\n")
    if world:
        made = (f"restored from the benchmark's cached dump in {world.seconds:.0f} s" if world.restored else
                f"generated in {world.seconds:.0f} s (app + Stripe account, {rows / world.seconds:,.0f} app rows/s)")
        print(f"- world: {world.summary}; {made}")
    else:
        print(f"- resumed in {args.resume}: {rows:,} app rows")
    print(f"- importing orchestration.definitions (dbt manifest check, Dagster definitions): {import_seconds:.1f} s,"
          " once per process, not in the run times")
    print(f"- SUPERSET_URL={os.environ['SUPERSET_URL']} has nothing listening: the publish step skips")
    if full and sdk:
        print_stripe(args, sdk, stripe_rows, full)
    print_runs([("full_rebuild", "whole world", full)] if full else [], hourly)


def print_stripe(args: argparse.Namespace, sdk: tuple[int, float], stripe_rows: int, full: RunTiming) -> None:
    count, seconds = sdk
    stripe_step = full.steps.get("stripe_objects", 0.0)
    print(f"- Stripe through the SDK, auto_paging_iter at limit=100 against the local server: {count:,} objects "
          f"(resources + events{f', at most {args.sdk_sample:,} of each' if args.sdk_sample else ''}) in "
          f"{seconds:.1f} s = {count / seconds:,.0f} objects/s")
    print(f"- Stripe full load in full_rebuild (ingestion.stripe: SDK pages + merge into raw_stripe): "
          f"{stripe_rows:,} rows in {stripe_step:.1f} s = {stripe_rows / max(stripe_step, 1e-9):,.0f} rows/s\n")


def print_runs(fulls: list[tuple[str, str, RunTiming]], hourly: list[tuple[str, str, RunTiming]]) -> None:
    full = fulls[0][2] if fulls else None
    runs = [*fulls, *hourly]
    print("| run | delta | wall | ingestion | dbt_models | checks | publish | run start-up | between steps "
          "| hourly/full | peak RSS (self / dbt child / PG PSS) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, delta, run in runs:
        between = run.wall - sum(run.steps.values()) - run.before_first_step()
        status = "" if run.success else f" FAILED ({', '.join(run.failed)})"
        print(f"| {label}{status} | {delta} | {run.wall:.1f} s | " + " | ".join(
            f"{run.phase(p):.1f} s" for p in PHASES) + f" | {run.before_first_step():.1f} s | {between:.1f} s | "
            f"{f'{run.wall / full.wall:.0%}' if full else '-'} | "
            f"{run.self_rss_mb:,.0f} / {run.children_rss_mb:,.0f} / {run.server_pss_mb:,.0f} MB |")

    print("\n| run | dbt step | process start-up | parse | nodes (run_results) | models (thread-s) | tests (thread-s) "
          "| Dagster after dbt | parse mode |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, _delta, run in runs:
        step_start, step_end = run.step_spans.get("dbt_models", (0.0, 0.0))
        dbt = run.dbt
        models = [s for uid, s in dbt.nodes.items() if uid.startswith(("model.", "snapshot.", "seed."))]
        tests = [s for uid, s in dbt.nodes.items() if uid.startswith(("test.", "unit_test."))]
        print(f"| {label} | {step_end - step_start:.1f} s | {dbt.first_log - step_start:.1f} s | "
              f"{dbt.parsed - dbt.first_log:.1f} s | {dbt.elapsed:.1f} s | {sum(models):.1f} s ({len(models)}) | "
              f"{sum(tests):.1f} s ({len(tests)}) | {step_end - dbt.last_log:.1f} s | {dbt.parse} |")

    for label, _delta, run in (runs[0], runs[-1]):
        slowest = sorted(run.dbt.nodes.items(), key=lambda kv: -kv[1])[:8]
        print(f"\nslowest dbt nodes, {label}: " + ", ".join(f"{uid.split('.')[-1]} {s:.1f} s" for uid, s in slowest))
        checks = sorted(((k, s) for k, s in run.steps.items() if phase_of(k) == "checks"), key=lambda kv: -kv[1])
        print(f"check steps, {label}: {len(checks)} steps, {sum(s for _, s in checks):.1f} s; slowest "
              + ", ".join(f"{k} {s:.1f} s" for k, s in checks[:5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--users", type=int, default=2000, help="users in the generated world (default 2000)")
    parser.add_argument("--days", type=int, default=120, help="days of history (default 120)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the world (default 7)")
    parser.add_argument("--runs", type=int, default=3, help="hourly runs, each after advancing 1 h (default 3)")
    parser.add_argument("--sdk-sample", type=int, default=0, metavar="N",
                        help="list at most N objects of each Stripe resource through the SDK (default 0: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary state folder")
    parser.add_argument("--resume", type=Path, metavar="DIR",
                        help="continue in the state folder a --keep run left after its full rebuild and settling run "
                             "(e.g. one stopped during back-dating): back-date what is not yet, then the measured runs")
    args = parser.parse_args()

    home = str(args.resume) if args.resume else tempfile.mkdtemp(prefix="reelhouse-bench-hourly-")
    configure_environment(home)
    # "now" for the marts: the end of the last advanced hour, fixed, so every run sees the same windows
    os.environ["REELHOUSE_AS_OF"] = (AS_OF + timedelta(hours=args.runs)).isoformat()
    from demo.app_world import advance_app_world
    from demo.stripe_world import sync_stripe_world
    from demo.stripe_world.background import running_stripe_server
    from orchestration.lib.instance import prepare_dagster_home
    from reelhouse.config import get_settings
    from reelhouse.warehouse import app_db_url, embedded_server, stripe_demo_db_url
    from reelhouse.warehouse.bootstrap import initialise_warehouse

    settings = get_settings()
    server = embedded_server(settings)
    server.start()
    pgdata = server.pgdata
    try:
        initialise_warehouse(settings)
        prepare_dagster_home(settings)
        world = None if args.resume else prepare_world(args.users, args.days, args.seed, AS_OF)
        rows = app_rows()
        if world:
            print(f"  {world.summary} in {world.seconds:.0f} s", file=sys.stderr)

        started = time.perf_counter()
        import orchestration.definitions  # noqa: F401  (dbt parse if the manifest is stale)
        import_seconds = time.perf_counter() - started

        with running_stripe_server(stripe_demo_db_url(), settings.stripe_api_key) as stripe_server:
            os.environ["STRIPE_API_BASE"] = stripe_server.base_url
            get_settings.cache_clear()
            print(f"serving the demo Stripe account on {stripe_server.base_url}; SUPERSET_URL="
                  f"{os.environ['SUPERSET_URL']} (nothing listens: publish skips)", file=sys.stderr)
            full = sdk = None
            if not args.resume:
                sdk = stripe_sdk_throughput(stripe_server.api_key, stripe_server.base_url, args.sdk_sample)
                print("full_rebuild ...", file=sys.stderr)
                full = run_job("full_rebuild", pgdata)
                print(f"  {full.wall:.1f} s, success={full.success}", file=sys.stderr)
            stripe_rows = raw_stripe_rows()
            hourly = []
            for number in range(SETTLING_RUNS + 1 if args.resume else 1, SETTLING_RUNS + args.runs + 1):
                if number == SETTLING_RUNS + 1:
                    started = time.perf_counter()
                    moved = back_date_history()
                    print(f"back-dated the warehouse's history by a day in {time.perf_counter() - started:.0f} s: "
                          f"{moved}", file=sys.stderr)
                started = time.perf_counter()
                delta = advance_app_world(app_db_url(), hours=1)
                delta_stripe = sync_stripe_world(app_db_url(), stripe_demo_db_url())
                print(f"advanced 1 h in {time.perf_counter() - started:.1f} s: {delta}; Stripe: {delta_stripe}",
                      file=sys.stderr)
                run = run_job("hourly_refresh", pgdata)
                print(f"hourly_refresh #{number}: {run.wall:.1f} s, success={run.success}", file=sys.stderr)
                label = f"hourly_refresh #{number}" + (" (after the bulk load)" if number <= SETTLING_RUNS else "")
                hourly.append((label, delta_label(delta), run))
        raw = {"full": asdict(full) if full else None, "hourly": [asdict(run) for _, _, run in hourly]}
        Path(tempfile.gettempdir(), "hourly_run_raw.json").write_text(json.dumps(raw))  # for a re-render
        print_report(args, world, rows, import_seconds, sdk, stripe_rows, full, hourly)
        if not all(run.success for run in (*([full] if full else []), *(r for _, _, r in hourly))):
            sys.exit(1)
    finally:
        server.stop()
        if not args.keep and not args.resume:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
