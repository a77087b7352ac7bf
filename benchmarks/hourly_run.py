"""Hourly run vs full rebuild: the Dagster jobs end to end on a private warehouse, split by step.

    python benchmarks/hourly_run.py                      # the demo scale: 2,000 users x 120 days
    python benchmarks/hourly_run.py --users 10000 --runs 3

Runs on a private embedded PostgreSQL (its own temporary state folder and ports), so it never touches
your warehouse. It generates the demo world (or restores it, benchmarks/_world.py), serves its Stripe account on a
free port, then:
  1. lists every Stripe resource through the SDK (auto_paging_iter, limit=100): objects/s of SDK + server;
  2. runs `full_rebuild` once in this process (as `reelhouse run full` does) and times it, and caches what its
     ingestion landed (raw tables and ingestion state, benchmarks/_landed.py) beside the world; when that cache
     exists for this world and this ingestion code, it is restored instead, `full_rebuild` runs without its
     ingestion steps (dbt's full build, the checks, publishing: the marts always come from the current project),
     and the SDK listing is a sample (`--sdk-sample`, default 2,000 of each resource);
  3. moves every landing and build time a day back (as a warehouse that has run for a day has them:
     back_date_history), then advances the world by one hour (app database + Stripe account, as `reelhouse demo
     advance` does) and runs `hourly_refresh`, `1 + --runs` times: the first settles (it re-reads the bulk load,
     whose newest rows are inside the incremental facts' one-hour margin, though it writes only the rows that
     changed), the others are the steady state.
Each run is split by step from the run's STEP_START / STEP_SUCCESS events (ingestion, dbt_models,
checks, publish); the dbt step is split further from dbt's run_results.json (dbt's own elapsed time vs
process start-up and parsing; slowest nodes). SUPERSET_URL points at a free port where nothing listens,
so the publish step only finds Superset down and skips. Prints Markdown for BENCHMARKS.md: the runs, the peak disk
of the run's data folder and the caches it wrote (sampled throughout; the run refuses to start when the free disk
is below what the size needs, `--min-free-gb`), and the warehouse's size by layer at the end (`--json` also writes
the numbers as JSON).
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _landed import (  # noqa: E402  (benchmarks/ helpers)
    Landing,
    cached_landing,
    fingerprint,
    restore_landing,
    save_landing,
)
from _world import World, prepare_world, world_folder  # noqa: E402

AS_OF = datetime(2026, 11, 16, 12, tzinfo=UTC)  # the world's end: the same world on every run
INGESTION_STEPS = ("app_tables", "stripe_objects", "provider_prices")
# Hourly runs that are not steady state: the first after a full rebuild re-merges the bulk load, whose newest rows
# are within the incremental facts' one-hour margin of their newest `loaded_at`. Back-dating runs before it, not after:
# moving everything a day back keeps the bulk within an hour of the settling run's rows, so a run after a back-dating
# that followed the settling run re-merged the whole bulk again (the 100k-user run of 2026-12-07: 175 s in
# fct_llm_calls alone, against under 1 s in the run after it).
SETTLING_RUNS = 1
PHASES = ("ingestion", "dbt_models", "checks", "publish")
RESTORED_SDK_SAMPLE = 2000  # objects of each Stripe resource listed when the landing is restored (rate is per page)
# Free disk a run needs when no earlier run at this size recorded its peak: the large world (1M users x 15 days)
# reached 75 GB (BENCHMARKS.md, 2026-12-06), about 5 kB per user-day; never less than 1 GB.
BYTES_PER_USER_DAY = 5000
PEAK_FILE = "peak_disk.json"  # in the world's folder: each mode's (cold, restored) last peak, for the estimate
# The warehouse's layers, by schema name: a schema of a new layer or a new mart schema (marts_store, ...) falls
# into its pattern's layer or is listed on its own, never left out.
LAYERS = (("raw", r"^raw_"), ("ops", r"^ops$"), ("staging", r"^staging"), ("intermediate", r"^intermediate"),
          ("marts", r"^marts"))


@dataclass
class DbtSplit:
    """What dbt itself reports for one invocation (run_results.json)."""

    elapsed: float = 0.0  # run_results.json: executing the nodes (after start-up and parsing)
    nodes: dict[str, float] = field(default_factory=dict)  # unique_id -> execution seconds
    rows: dict[str, int] = field(default_factory=dict)  # model unique_id -> rows its last statement wrote
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
def sampled_while(sample: Callable[[], None], interval: float) -> Iterator[None]:
    """Call `sample` in a thread every `interval` seconds while the block runs (and once more as it ends)."""
    done = threading.Event()

    def loop() -> None:
        while True:
            sample()
            if done.wait(interval):
                return

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextmanager
def peak_server_memory(pgdata: Path, interval: float = 1.0) -> Iterator[list[float]]:
    """Sample the server's PSS while the block runs; yields a one-item list with the peak."""
    peak = [0.0]

    def sample() -> None:
        peak[0] = max(peak[0], postgres_pss_mb(pgdata))

    with sampled_while(sample, interval):
        yield peak


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
            # an incremental model's: the versions it inserted (the hour's rows, or a re-merged bulk load)
            split.rows.update({r["unique_id"]: r["adapter_response"]["rows_affected"] for r in data.get("results", [])
                               if r["unique_id"].startswith("model.")
                               and isinstance((r.get("adapter_response") or {}).get("rows_affected"), int)})
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


def without_ingestion_job():
    """`full_rebuild` less its ingestion assets (their checks kept: the raw GX suites and the load-health checks read
    what the restored landing holds): what a full rebuild does after its ingestion."""
    from dagster import AssetSelection, Definitions, define_asset_job

    from orchestration.definitions import INGESTION, defs
    from orchestration.defs.pipeline.jobs import PIPELINE, full_rebuild
    from orchestration.lib.run_lock import pipeline_executor

    keys = [key for assets in INGESTION for key in assets.keys]
    selection = (PIPELINE - AssetSelection.assets(*keys)) | AssetSelection.checks_for_assets(*keys)
    job = define_asset_job(f"{full_rebuild.name}_from_landed", selection=selection, executor_def=pipeline_executor,
                           tags=full_rebuild.tags)
    return Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def(job.name)


def run_job(name: str, pgdata: Path, *, from_landed: bool = False) -> RunTiming:
    """Execute one job in process on the local Dagster instance and split its run by step (`from_landed`: the
    full rebuild without its ingestion steps)."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = without_ingestion_job() if from_landed else defs.resolve_job_def(name)
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
    return RunTiming(job.name, result.success, wall, epoch, spans, failed, dbt_split(result.run_id),
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
    """Move every landing and build time in the warehouse `hours` back: every raw table's `_loaded_at`, and every
    incremental model's landing column, `built_at` and `retired_at` in its store table (the intermediate ones too:
    left out, their rows all counted as written by the last build, and the hourly row tests read every one).

    Incremental facts merge what landed since their newest `loaded_at` less a one-hour margin, and the hourly row
    tests read the rows landed (staging) or built (incremental models) since the last published build less the same
    margin. Runs minutes apart after a bulk load keep re-merging and re-testing that whole load, which landed and was
    built within the margin: true of the first hourly runs after a new warehouse or a full rebuild, not of a
    warehouse that has run for a while, where the bulk landed and was built long ago. Back-dating stands for that
    elapsed time, so the runs measured after it are steady state. One UPDATE a table shifts all its columns at once;
    updating every row leaves each table twice its size (the old row versions' pages stay allocated after a plain
    VACUUM), and every later scan would read the empty half: VACUUM FULL rewrites them as a bulk load leaves them.
    """
    from orchestration.lib.dbt_project import incremental_models
    from reelhouse.warehouse import admin_url, connect
    from reelhouse.warehouse.bootstrap import RAW_SCHEMAS

    facts = incremental_models()  # the intermediate ones too: their store tables are in the store schema as well
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


def folder_bytes(path: Path) -> int:
    """Disk a folder takes (allocated blocks, as `du`), files vanishing while it is read skipped."""
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                continue
    return total


@dataclass
class DiskPeak:
    """The run's data folder (server, Dagster, dbt) and the caches it writes, sampled throughout the run."""

    free_at_start: int
    needed: int  # what the run refused to start without
    estimate: str  # where `needed` came from
    peak_data: int = 0
    peak_cache: int = 0
    peak_total: int = 0
    min_free: int = 0
    samples: int = 0


@contextmanager
def disk_sampler(data: Path, cache: Path, disk: DiskPeak, interval: float = 2.0) -> Iterator[DiskPeak]:
    """Sample the data folder's and the cache folder's size (and the free disk) while the block runs."""
    cache_before = folder_bytes(cache) if cache.exists() else 0
    disk.min_free = disk.free_at_start

    def sample() -> None:
        data_bytes = folder_bytes(data)
        cache_bytes = max((folder_bytes(cache) if cache.exists() else 0) - cache_before, 0)  # written by this run
        disk.peak_data = max(disk.peak_data, data_bytes)
        disk.peak_cache = max(disk.peak_cache, cache_bytes)
        disk.peak_total = max(disk.peak_total, data_bytes + cache_bytes)
        disk.min_free = min(disk.min_free, shutil.disk_usage(data).free)
        disk.samples += 1

    with sampled_while(sample, interval):
        yield disk


def disk_needed(args: argparse.Namespace, folder: Path, restoring: bool) -> tuple[int, str]:
    """Free disk this run needs: `--min-free-gb`, else 1.2 x the peak the last run of this kind at this size
    recorded, else an estimate from the world's size (BYTES_PER_USER_DAY)."""
    if args.min_free_gb is not None:
        return int(args.min_free_gb * 2**30), "--min-free-gb"
    mode = "restored" if restoring else "cold"
    try:
        peak = json.loads((folder / PEAK_FILE).read_text())[mode]
        return int(peak * 1.2), f"1.2 x the peak of the last {mode} run at this size"
    except (OSError, ValueError, KeyError):
        return (max(args.users * args.days * BYTES_PER_USER_DAY, 2**30),
                f"{BYTES_PER_USER_DAY:,} bytes per user-day, at least 1 GB (no earlier run at this size recorded)")


def record_peak(folder: Path, restoring: bool, disk: DiskPeak) -> None:
    path = folder / PEAK_FILE
    try:
        peaks = json.loads(path.read_text())
    except (OSError, ValueError):
        peaks = {}
    peaks["restored" if restoring else "cold"] = disk.peak_total
    if folder.exists():
        path.write_text(json.dumps(peaks))


def layer_of(schema: str) -> str:
    return next((layer for layer, pattern in LAYERS if re.match(pattern, schema)), "other")


def warehouse_sizes() -> dict:
    """Every schema of the warehouse (but the catalogs) with its relations (tables, views) and their size, indexes
    and TOAST included (pg_total_relation_size; a view takes none), grouped into layers by name; and every database's
    size (app, Stripe account, Dagster's storage beside the warehouse)."""
    from reelhouse.warehouse import admin_url, connect

    with connect(admin_url()) as conn:
        rows = conn.execute(
            "SELECT n.nspname, count(*), coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm', 'v')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"
            " GROUP BY 1 ORDER BY 1").fetchall()
        databases = dict(conn.execute("SELECT datname, pg_database_size(datname) FROM pg_database"
                                      " WHERE NOT datistemplate").fetchall())
    schemas = {name: {"layer": layer_of(name), "tables": int(count), "bytes": int(size)}
               for name, count, size in rows}
    layers: dict[str, int] = {}
    for info in schemas.values():
        layers[info["layer"]] = layers.get(info["layer"], 0) + info["bytes"]
    raw, marts = layers.get("raw", 0), layers.get("marts", 0)
    return {"schemas": schemas, "layers": layers, "marts_over_raw": marts / raw if raw else None,
            "databases": {name: int(size) for name, size in databases.items()}}


def ingested_rows(since: float, until: float) -> int:
    """Rows the loaders inserted or updated between two epochs (ops.load_audit): the bulk load of a full rebuild
    that ingested, none for one whose landing was restored."""
    from reelhouse.warehouse import admin_url, connect

    with connect(admin_url()) as conn:
        return int(conn.execute(
            "SELECT coalesce(sum(rows_inserted + rows_updated), 0) FROM ops.load_audit"
            " WHERE started_at BETWEEN to_timestamp(%s) AND to_timestamp(%s)", (since, until)).fetchone()[0])


def gb(size: float) -> str:
    return f"{size / 2**30:,.2f} GB" if size >= 2**30 else f"{size / 2**20:,.1f} MB"


def print_landing(landing: tuple[str, Landing | None], full: RunTiming | None, bulk_rows: int) -> None:
    mode, info = landing
    if mode == "restored" and info:
        print(f"- landed cache restored from `{info.folder.name}` (made {info.saved_at[:16]} UTC, ops times moved "
              f"{info.shifted_hours:.1f} h forward) in {info.seconds:.1f} s: {gb(info.raw_bytes)} of raw tables from "
              f"a {gb(info.dump_bytes)} dump; full_rebuild ran without its ingestion steps ({bulk_rows:,} rows "
              "ingested during it): dbt's full build, the checks and publishing on the restored raw")
    elif mode == "saved" and info:
        print(f"- landed cache written to `{info.folder.name}` after full_rebuild in {info.seconds:.1f} s (not in its "
              f"wall): {gb(info.raw_bytes)} of raw tables in a {gb(info.dump_bytes)} dump; full_rebuild ingested "
              f"{bulk_rows:,} rows")
    else:
        print(f"- landed cache not used ({mode}); full_rebuild ingested {bulk_rows:,} rows")


def print_disk_and_sizes(disk: DiskPeak, sizes: dict) -> None:
    print(f"\n- disk: {gb(disk.free_at_start)} free at the start (needed {gb(disk.needed)}: {disk.estimate}); peak "
          f"{gb(disk.peak_total)} = data folder {gb(disk.peak_data)} + caches written {gb(disk.peak_cache)} "
          f"(peaks of each apart; {disk.samples} samples); least free {gb(disk.min_free)}")
    ratio = sizes["marts_over_raw"]
    layers = ", ".join(f"{layer} {gb(size)}" for layer, size in sorted(sizes["layers"].items(), key=lambda kv: -kv[1]))
    print(f"- warehouse at the end by layer (tables + indexes + TOAST): {layers}; "
          + (f"marts / raw = {ratio:.2f}" if ratio is not None else "no raw tables"))
    print("\n| schema | layer | tables and views | size |")
    print("|---|---|---|---|")
    for name, info in sorted(sizes["schemas"].items(), key=lambda kv: (kv[1]["layer"], kv[0])):
        print(f"| {name} | {info['layer']} | {info['tables']} | {info['bytes'] / 2**20:,.1f} MB |")
    print("\ndatabases: " + ", ".join(f"{name} {gb(size)}" for name, size in sorted(sizes["databases"].items())))


def print_report(args: argparse.Namespace, world: World | None, rows: int, import_seconds: float,
                 sdk: tuple[int, int, float] | None, stripe_rows: int, full: RunTiming | None,
                 hourly: list[tuple[str, str, RunTiming]], landing: tuple[str, Landing | None], bulk_rows: int,
                 disk: DiskPeak, sizes: dict, total_seconds: float) -> None:
    """Markdown: the world, the landed cache, the Stripe rates, per run, per phase, the dbt step's own split, the
    slowest dbt nodes, then disk and the warehouse by layer (a --resume run has no world, SDK listing or full rebuild
    of its own to report)."""
    print(f"\n## {args.users:,} users x {args.days} days (seed {args.seed})\n")
    print(f"- whole benchmark, world to sizes: {total_seconds:,.0f} s ({total_seconds / 60:.1f} min)")
    if world:
        made = (f"restored from the benchmark's cached dump in {world.seconds:.0f} s" if world.restored else
                f"generated in {world.seconds:.0f} s (app + Stripe account, {rows / world.seconds:,.0f} app rows/s)")
        print(f"- world: {world.summary}; {made}")
        print_landing(landing, full, bulk_rows)
    else:
        print(f"- resumed in {args.resume}: {rows:,} app rows")
    print(f"- importing orchestration.definitions (dbt manifest check, Dagster definitions): {import_seconds:.1f} s,"
          " once per process, not in the run times")
    print(f"- SUPERSET_URL={os.environ['SUPERSET_URL']} has nothing listening: the publish step skips")
    if full and sdk:
        print_stripe(sdk, stripe_rows, full)
    print_runs([("full_rebuild" + (" (landing restored)" if landing[0] == "restored" else ""), "whole world", full)]
               if full else [], hourly)
    print_disk_and_sizes(disk, sizes)


def print_stripe(sdk: tuple[int, int, float], stripe_rows: int, full: RunTiming) -> None:
    sample, count, seconds = sdk
    print(f"- Stripe through the SDK, auto_paging_iter at limit=100 against the local server: {count:,} objects "
          f"(resources + events{f', at most {sample:,} of each' if sample else ''}) in "
          f"{seconds:.1f} s = {count / seconds:,.0f} objects/s")
    if "stripe_objects" in full.steps:
        stripe_step = full.steps["stripe_objects"]
        print(f"- Stripe full load in full_rebuild (ingestion.stripe: SDK pages + merge into raw_stripe): "
              f"{stripe_rows:,} rows in {stripe_step:.1f} s = {stripe_rows / max(stripe_step, 1e-9):,.0f} rows/s\n")
    else:
        print(f"- Stripe full load not run: its {stripe_rows:,} raw rows were restored (the SDK rate above is a sample "
              "of the pages; the full load's rate is in the run that made the cache)\n")


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
    parser.add_argument("--sdk-sample", type=int, default=None, metavar="N",
                        help="list at most N objects of each Stripe resource through the SDK (default: all, or "
                             f"{RESTORED_SDK_SAMPLE:,} when the landing is restored; 0: all)")
    parser.add_argument("--no-landed-cache", action="store_true",
                        help="ingest in full_rebuild even when the landing is cached (and do not cache it)")
    parser.add_argument("--min-free-gb", type=float, metavar="GB",
                        help="refuse to start below this much free disk (default: estimated for the size)")
    parser.add_argument("--json", type=Path, metavar="FILE", default=os.environ.get("BENCH_HOURLY_JSON") or None,
                        help="also write the numbers as JSON to FILE (default: $BENCH_HOURLY_JSON, else none)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary state folder")
    parser.add_argument("--resume", type=Path, metavar="DIR",
                        help="continue in the state folder a --keep run left after its full rebuild (e.g. one "
                             "stopped during back-dating): back-date what is not yet, then the settling and measured "
                             "runs")
    args = parser.parse_args()

    # What the run will do with the landing, and the disk it needs, before anything starts.
    folder = world_folder(args.users, args.days, args.seed, AS_OF)
    digest = fingerprint()
    use_cache = not (args.resume or args.no_landed_cache or os.environ.get("BENCH_NO_WORLD_CACHE"))
    restoring = use_cache and cached_landing(folder, digest) is not None
    needed, estimate = disk_needed(args, folder, restoring)
    folder.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder.parent).free
    if free < needed:
        print(f"hourly_run.py: {gb(free)} free on {folder.parent}, this run needs {gb(needed)} ({estimate}); "
              "free some disk or pass --min-free-gb", file=sys.stderr)
        sys.exit(2)
    disk = DiskPeak(free_at_start=free, needed=needed, estimate=estimate)

    begun = time.perf_counter()
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
        with disk_sampler(Path(home), folder, disk):
            initialise_warehouse(settings)
            prepare_dagster_home(settings)
            world = None if args.resume else prepare_world(args.users, args.days, args.seed, AS_OF)
            rows = app_rows()
            if world:
                print(f"  {world.summary} in {world.seconds:.0f} s", file=sys.stderr)
                restoring = restoring and world.restored and cached_landing(folder, digest) is not None
            landing: tuple[str, Landing | None] = ("resumed", None) if args.resume else (
                ("restored", restore_landing(folder, digest)) if restoring else
                ("disabled" if not use_cache else "saved", None))

            started = time.perf_counter()
            import orchestration.definitions  # noqa: F401  (dbt parse if the manifest is stale)
            import_seconds = time.perf_counter() - started

            with running_stripe_server(stripe_demo_db_url(), settings.stripe_api_key) as stripe_server:
                os.environ["STRIPE_API_BASE"] = stripe_server.base_url
                get_settings.cache_clear()
                print(f"serving the demo Stripe account on {stripe_server.base_url}; SUPERSET_URL="
                      f"{os.environ['SUPERSET_URL']} (nothing listens: publish skips)", file=sys.stderr)
                full = sdk = None
                bulk_rows = 0
                if not args.resume:
                    sample = args.sdk_sample if args.sdk_sample is not None else (
                        RESTORED_SDK_SAMPLE if restoring else 0)
                    sdk = (sample, *stripe_sdk_throughput(stripe_server.api_key, stripe_server.base_url, sample))
                    print("full_rebuild" + (" without ingestion (landing restored)" if restoring else "") + " ...",
                          file=sys.stderr)
                    full = run_job("full_rebuild", pgdata, from_landed=restoring)
                    print(f"  {full.wall:.1f} s, success={full.success}", file=sys.stderr)
                    bulk_rows = ingested_rows(full.started, full.started + full.wall)
                    if landing[0] == "saved":
                        landing = ("saved", save_landing(folder, digest) if full.success else None)
                        if landing[1] is None:
                            landing = ("not saved: full_rebuild failed", None)
                stripe_rows = raw_stripe_rows()
                hourly = []
                for number in range(1, SETTLING_RUNS + args.runs + 1):
                    if number == 1:  # before the settling run (see SETTLING_RUNS); on a --resume, what is not yet
                        started = time.perf_counter()
                        moved = back_date_history()
                        print(f"back-dated the warehouse's history by a day in {time.perf_counter() - started:.0f} "
                              f"s: {moved}", file=sys.stderr)
                    started = time.perf_counter()
                    delta = advance_app_world(app_db_url(), hours=1)
                    delta_stripe = sync_stripe_world(app_db_url(), stripe_demo_db_url())
                    print(f"advanced 1 h in {time.perf_counter() - started:.1f} s: {delta}; Stripe: {delta_stripe}",
                          file=sys.stderr)
                    run = run_job("hourly_refresh", pgdata)
                    print(f"hourly_refresh #{number}: {run.wall:.1f} s, success={run.success}", file=sys.stderr)
                    label = f"hourly_refresh #{number}" + (" (after the bulk load)" if number <= SETTLING_RUNS else "")
                    hourly.append((label, delta_label(delta), run))
            sizes = warehouse_sizes()
        total_seconds = time.perf_counter() - begun
        if world and not args.resume:
            record_peak(folder, landing[0] == "restored", disk)
        raw = {"full": asdict(full) if full else None, "hourly": [asdict(run) for _, _, run in hourly]}
        Path(tempfile.gettempdir(), "hourly_run_raw.json").write_text(json.dumps(raw))  # for a re-render
        if args.json:
            args.json.write_text(json.dumps({
                "users": args.users, "days": args.days, "seconds": total_seconds,
                "world": asdict(world) if world else None,
                "landing": {"mode": landing[0], "fingerprint": digest,
                            **(asdict(landing[1]) if landing[1] else {})},
                "full_rebuild": {"job": full.job if full else None, "wall": full.wall if full else None,
                                 "steps": full.steps if full else {}, "rows_ingested": bulk_rows,
                                 "success": full.success if full else None},
                "sdk": {"sample": sdk[0], "objects": sdk[1], "seconds": sdk[2]} if sdk else None,
                "hourly": [{"label": label, "delta": delta, "wall": run.wall, "success": run.success,
                            "phases": {p: run.phase(p) for p in PHASES}, "nodes": run.dbt.nodes,
                            "rows": run.dbt.rows}
                           for label, delta, run in hourly],
                "disk": asdict(disk), "sizes": sizes,
            }, default=str, indent=1))
        print_report(args, world, rows, import_seconds, sdk, stripe_rows, full, hourly, landing, bulk_rows, disk,
                     sizes, total_seconds)
        if not all(run.success for run in (*([full] if full else []), *(r for _, _, r in hourly))):
            sys.exit(1)
    finally:
        server.stop()
        if not args.keep and not args.resume:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
