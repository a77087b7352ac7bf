"""Dashboard latency: mart SQL, Superset's chart-data API and whole dashboards in headless chromium.

    python benchmarks/dashboard_latency.py --users 2000 --days 120 --json dashboard_latency.json

Runs on a private embedded PostgreSQL and a private Superset (a temporary REELHOUSE_HOME, free ports), so it
never touches your warehouse or your Superset; only Superset's virtualenv is shared (SUPERSET_VENV, else
.reelhouse/superset/venv, installed there if missing). It generates the demo world, loads it with the
ingestion code, ANALYZEs, builds the marts with dbt, starts Superset and applies semantic/, then measures:
  1. mart SQL: the query Superset runs for every managed chart (the chart-data API with type=query),
     executed directly on the warehouse as the analyst role, --sql-repeats times per chart;
  2. the chart-data API through Superset: cold (force=true, the query always runs) and, after
     semantic.superset.warm_caches, warm (answered from Superset's data cache), --api-repeats times per chart;
  3. every dashboard in headless chromium (Debian's) logged in as the admin: from navigation until every
     chart has drawn (the browser test's wait condition, checked inside each chart's body with no loading
     spinner left), the first load and --browser-repeats more, with where the time goes (page boot,
     dashboard metadata, chart-data requests, drawing).
Targets (issue 8): mart queries p95 under 100 ms; a dashboard under 2 s once caches are warm.
Prints Markdown tables; --json writes every sample.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from semantic.superset.browser import CHARTS_RENDERED, CHROMIUM_FLAGS, ERROR_SELECTORS, chromium_path, log_in

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from _world import prepare_world  # noqa: E402  (benchmarks/ helper)

DEMO_AS_OF = "2026-11-16T12:00:00+00:00"  # the demo clock the tests and the ingestion benchmark use
SQL_TARGET_MS = 100.0
DASHBOARD_TARGET_MS = 2000.0
# A loose condition (any svg in the holder) holds as soon as every holder exists: the slice header's "more
# options" icon and the loading spinner are SVGs too. Timed only to show how early it is met.
HOLDERS_PRESENT = """([count]) => {
    const holders = document.querySelectorAll("[data-test='chart-grid-component']");
    const done = holders.length >= count && [...holders].every(holder =>
        holder.querySelector("canvas, svg, table, .header-line, .superset-legacy-chart-big-number")
        || holder.querySelector(".ant-alert-error, [data-test='error-message']"));
    return done ? performance.now() : false;
}"""
# Navigation and API request timings from the page's own Performance API (ms since navigation start).
PAGE_TIMINGS = """([slug]) => {
    const nav = performance.getEntriesByType("navigation")[0] || {};
    const resources = performance.getEntriesByType("resource");
    const board = resources.filter(e => e.name.includes(`/api/v1/dashboard/${slug}`));
    const charts = resources.filter(e => e.name.includes("/api/v1/chart/data"));
    return {
        html: nav.responseEnd || null,
        dashboard_api: board.length ? Math.min(...board.map(e => e.startTime)) : null,
        chart_requests: charts.map(e => ({start: e.startTime, end: e.responseEnd, ms: e.duration})),
    };
}"""


@dataclass
class Chart:
    """A managed chart in Superset and where it comes from in code."""

    id: int
    key: str
    title: str
    dashboard: str
    mart: str
    mart_kind: str = ""
    mart_rows: int = 0


@dataclass
class DashboardLoad:
    """One navigation to a dashboard until every chart has rendered."""

    wall_ms: float
    rendered_ms: float
    holders_ms: float
    html_ms: float | None
    dashboard_api_ms: float | None
    first_chart_request_ms: float | None
    last_chart_response_ms: float | None
    chart_requests: int
    slowest_chart_request_ms: float | None
    chart_responses_cached: int
    errors: int


@dataclass
class Results:
    """Everything measured, for the printed tables and --json."""

    command: str
    machine: dict[str, Any]
    setup_seconds: dict[str, float] = field(default_factory=dict)
    charts: list[dict[str, Any]] = field(default_factory=list)
    sql_ms: dict[str, list[float]] = field(default_factory=dict)
    sql_rows: dict[str, int] = field(default_factory=dict)
    connect_ms: list[float] = field(default_factory=list)
    api_cold_ms: dict[str, list[float]] = field(default_factory=dict)
    api_warm_ms: dict[str, list[float]] = field(default_factory=dict)
    api_warm_cached: dict[str, int] = field(default_factory=dict)
    warm_up_seconds: float = 0.0
    warm_up_failed: dict[str, str] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)


# --- statistics ----------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def fmt_ms(value: float | None) -> str:
    """Milliseconds for a table cell: one decimal below 10 ms, whole numbers above."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@contextmanager
def timed(label: str, into: dict[str, float]) -> Iterator[None]:
    """Time a setup step into `into[label]` (seconds) and say how long it took."""
    started = time.perf_counter()
    yield
    into[label] = round(time.perf_counter() - started, 2)
    say(f"{label}: {into[label]:.1f} s")


# --- setup -----------------------------------------------------------------------------------------------------

def private_environment(superset_venv: str | None, reuse_home: Path | None = None) -> Path:
    """A private state folder (or the one to reuse), ports and demo clock, set before anything reads the settings."""
    home = reuse_home or Path(tempfile.mkdtemp(prefix="reelhouse-dashbench-"))
    from reelhouse.warehouse.embedded import free_port

    os.environ.update(
        REELHOUSE_HOME=str(home), REELHOUSE_PG_PORT=str(free_port()), STRIPE_SERVER_PORT=str(free_port()),
        SUPERSET_URL=f"http://127.0.0.1:{free_port()}", REELHOUSE_AS_OF=DEMO_AS_OF,
        SUPERSET_VENV=superset_venv or os.environ.get("SUPERSET_VENV")
        or str(REPO_ROOT / ".reelhouse" / "superset" / "venv"))
    for name in ("WAREHOUSE_URL", "APP_DB_URL", "STRIPE_API_KEY", "STRIPE_API_BASE", "SUPERSET_METADATA_URL",
                 "SUPERSET_CACHE_REDIS_URL", "SUPERSET_ADMIN_PASSWORD", "SUPERSET_SECRET_KEY"):
        os.environ.pop(name, None)
    from reelhouse.config import get_settings

    get_settings.cache_clear()
    return home


def build_world(users: int, days: int, seed: int, steps: dict[str, float]) -> None:
    """Generate the demo world, load every source as the loader role, ANALYZE and `dbt build` the marts."""
    from demo.stripe_world.background import running_stripe_server
    from ingestion.app_db import load_app_tables
    from ingestion.costs import load_costs
    from ingestion.stripe import load_stripe
    from orchestration.lib.dbt_project import DBT_PROJECT_DIR
    from reelhouse.config import get_settings
    from reelhouse.warehouse import admin_url, app_db_url, connect, dbt_env, role_url, stripe_demo_db_url
    from reelhouse.warehouse.marts import publish_marts

    with timed("demo world (generated, or restored from the benchmark's cache)", steps):
        prepare_world(users, days, seed, datetime.fromisoformat(DEMO_AS_OF))
    loader = role_url("loader")
    with timed("load sources", steps):
        load_costs(loader)
        results = load_app_tables(app_db_url(), loader)
        failed = [r.error for r in results if not r.ok]
        if failed:
            raise RuntimeError(f"app load failed: {failed}")
        with running_stripe_server(stripe_demo_db_url()) as server:
            load_stripe(get_settings().stripe_api_key, server.base_url, loader)
    # The loaders do not ANALYZE; dbt starting before autovacuum has analyzed the fresh raw tables once planned
    # template_leaderboard so badly that it ran for over 10 minutes (0.2 s with statistics). Not what we measure.
    with timed("analyze raw tables", steps), connect(admin_url(), autocommit=True) as conn:
        conn.execute("ANALYZE")
    target = Path(os.environ["REELHOUSE_HOME"]) / "dbt-target"
    with timed("dbt build", steps):
        done = subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", "--target-path", str(target),
                               "--log-path", str(target)], cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
                              timeout=3600, env={**os.environ, **dbt_env()}, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"dbt build failed:\n{done.stdout[-4000:]}")
    publish_marts(role_url("transformer"))  # dbt builds into marts_next; readers (Superset) see marts


def managed_charts(client: Any, analyst_dsn: str) -> list[Chart]:
    """Every chart Superset has from semantic/, with its dashboard, mart, mart kind and mart size."""
    import psycopg

    from semantic.superset.assets import asset_uuid, load_dashboards

    in_code = {asset_uuid("chart", chart.key): (dashboard.slug, chart)
               for dashboard in load_dashboards() for chart in dashboard.charts}
    charts = []
    for row in client.list_all("chart", ["id", "uuid", "is_managed_externally"]):
        if row["is_managed_externally"] and row["uuid"] in in_code:
            slug, spec = in_code[row["uuid"]]
            charts.append(Chart(row["id"], spec.key, spec.title, slug, spec.dataset))
    with psycopg.connect(analyst_dsn) as conn:
        for chart in charts:
            kind = conn.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                                " WHERE n.nspname = 'marts' AND c.relname = %s", (chart.mart,)).fetchone()
            chart.mart_kind = {"r": "table", "v": "view", "m": "matview"}.get(kind[0], kind[0]) if kind else "?"
            chart.mart_rows = conn.execute(
                f"SELECT count(*) FROM marts.{chart.mart}").fetchone()[0]  # noqa: S608 (names from code)
    order = {dashboard.slug: i for i, dashboard in enumerate(load_dashboards())}
    return sorted(charts, key=lambda c: (order[c.dashboard], c.id))


# --- 1. mart SQL -------------------------------------------------------------------------------------------------

def chart_queries(client: Any, chart: Chart) -> list[str]:
    """The SQL Superset runs for a chart's saved query context (type=query does not execute it)."""
    answer = client.get(f"/api/v1/chart/{chart.id}/data/", params={"format": "json", "type": "query"})
    return [result["query"] for result in answer["result"]]


def measure_sql(client: Any, charts: list[Chart], analyst_dsn: str, repeats: int, results: Results) -> None:
    """Run every chart's SQL on the warehouse as the analyst role, `repeats` times, fetching every row, on one
    connection; then time opening a new analyst connection, which Superset does for every query (NullPool)."""
    import psycopg

    with psycopg.connect(analyst_dsn, autocommit=True) as conn:
        for chart in charts:
            queries = chart_queries(client, chart)
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                rows = 0
                for query in queries:
                    rows += len(conn.execute(query).fetchall())
                samples.append((time.perf_counter() - started) * 1000)
            results.sql_ms[chart.key] = samples
            results.sql_rows[chart.key] = rows
    for _ in range(repeats):
        started = time.perf_counter()
        with psycopg.connect(analyst_dsn) as conn:
            conn.execute("SELECT 1")
        results.connect_ms.append((time.perf_counter() - started) * 1000)
    say(f"mart SQL: {len(charts)} charts x {repeats}")


# --- 2. chart-data API -------------------------------------------------------------------------------------------

def time_chart_data(client: Any, chart: Chart, force: bool) -> tuple[float, bool]:
    """One GET /api/v1/chart/<id>/data/ (the chart's saved query): (milliseconds, answered from cache)."""
    params = {"format": "json"} | ({"force": "true"} if force else {})
    started = time.perf_counter()
    answer = client.get(f"/api/v1/chart/{chart.id}/data/", params=params)
    elapsed = (time.perf_counter() - started) * 1000
    first = answer["result"][0]
    if first.get("error") or first.get("status") not in (None, "success"):
        raise RuntimeError(f"chart {chart.key} answered {first.get('error') or first.get('status')}")
    return elapsed, bool(first.get("is_cached"))


def measure_api(client: Any, charts: list[Chart], repeats: int, results: Results) -> None:
    """Cold (force=true) then, after warm_caches, warm chart-data API calls for every chart."""
    from semantic.superset import warm_caches

    for chart in charts:
        results.api_cold_ms[chart.key] = [time_chart_data(client, chart, force=True)[0] for _ in range(repeats)]
    say(f"chart-data API, cold: {len(charts)} charts x {repeats}")
    started = time.perf_counter()
    warmed = warm_caches(client)
    results.warm_up_seconds = round(time.perf_counter() - started, 2)
    results.warm_up_failed = warmed.failed
    say(f"warm_caches: {len(warmed.warmed)} charts in {results.warm_up_seconds:.1f} s, failed: {warmed.failed}")
    for chart in charts:
        samples = [time_chart_data(client, chart, force=False) for _ in range(repeats)]
        results.api_warm_ms[chart.key] = [ms for ms, _ in samples]
        results.api_warm_cached[chart.key] = sum(cached for _, cached in samples)
    say(f"chart-data API, warm: {len(charts)} charts x {repeats}")


# --- 3. dashboards in chromium -----------------------------------------------------------------------------------

def load_dashboard(page: Any, base_url: str, slug: str, chart_count: int) -> DashboardLoad:
    """Navigate to a dashboard and wait until every chart holder has rendered; time it and say where it went."""
    responses: list[Any] = []

    def keep(response: Any) -> None:
        if "/api/v1/chart/data" in response.url:
            responses.append(response)

    page.on("response", keep)
    try:
        started = time.perf_counter()
        page.goto(f"{base_url}/superset/dashboard/{slug}/", wait_until="commit", timeout=90_000)
        holders_ms = float(page.wait_for_function(HOLDERS_PRESENT, arg=[chart_count], timeout=90_000).json_value())
        rendered = page.wait_for_function(CHARTS_RENDERED, arg=[chart_count], polling=20, timeout=90_000)
        wall_ms = (time.perf_counter() - started) * 1000
        rendered_ms = float(rendered.json_value())
        timings = page.evaluate(PAGE_TIMINGS, [slug])
        errors = page.locator(ERROR_SELECTORS).count()
        cached = sum(_cached_results(response) for response in responses)
    finally:
        page.remove_listener("response", keep)
    requests = timings["chart_requests"]
    return DashboardLoad(
        wall_ms=wall_ms, rendered_ms=rendered_ms, holders_ms=holders_ms, html_ms=timings["html"],
        dashboard_api_ms=timings["dashboard_api"],
        first_chart_request_ms=min((r["start"] for r in requests), default=None),
        last_chart_response_ms=max((r["end"] for r in requests), default=None),
        chart_requests=len(requests), slowest_chart_request_ms=max((r["ms"] for r in requests), default=None),
        chart_responses_cached=cached, errors=errors)


def _cached_results(response: Any) -> int:
    """How many of a chart-data response's results came from Superset's cache (0 when unreadable)."""
    try:
        return sum(bool(result.get("is_cached")) for result in response.json().get("result", []))
    except Exception:  # noqa: BLE001 - a body the browser already dropped is not a measurement error
        return 0


def measure_dashboards(settings: Any, repeats: int, results: Results) -> None:
    """Every dashboard in headless chromium: the first load, then `repeats` warm loads."""
    from playwright.sync_api import sync_playwright

    from semantic.superset.assets import load_dashboards

    browser_path = chromium_path()
    base = settings.superset.url
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=browser_path, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1600, "height": 1200})
        try:
            context.add_init_script("performance.setResourceTimingBufferSize(10000)")
            page = context.new_page()
            log_in(page, settings)
            results.machine["chromium"] = subprocess.run([browser_path, "--version"], capture_output=True,
                                                         text=True, check=False).stdout.strip()
            for dashboard in load_dashboards():
                loads = [load_dashboard(page, base, dashboard.slug, len(dashboard.charts)) for _ in range(repeats + 1)]
                results.dashboards[dashboard.slug] = {
                    "title": dashboard.title, "charts": len(dashboard.charts),
                    "first": asdict(loads[0]), "warm": [asdict(load) for load in loads[1:]]}
                say(f"dashboard {dashboard.slug}: first {loads[0].wall_ms:,.0f} ms, warm "
                    f"{[round(load.wall_ms) for load in loads[1:]]} ms")
        finally:
            context.close()


# --- report ------------------------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """Cores, memory and software versions of this run."""
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:")), 0)
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_start": round(os.getloadavg()[0], 1)}


def print_report(results: Results, charts: list[Chart], args: argparse.Namespace) -> None:
    """Markdown tables: per chart (SQL and API), per dashboard (browser), and the summary against targets."""
    out: Callable[[str], None] = print
    out(f"# Dashboard latency — {results.machine.get('date')}\n")
    out(f"`{results.command}`\n")
    out("Machine: " + ", ".join(f"{k} {v}" for k, v in results.machine.items() if k != "date") + "\n")
    out("Setup: " + ", ".join(f"{k} {v:.0f} s" for k, v in results.setup_seconds.items()) + "\n")

    out(f"## Per chart (ms; SQL x{args.sql_repeats} as analyst, API x{args.api_repeats})\n")
    out("| dashboard | chart | mart | mart rows | rows out | SQL p50 | SQL p95 | API cold p50 | API cold p95 "
        "| API warm p50 | API warm p95 | warm from cache |")
    out("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for chart in charts:
        sql, cold, warm = (results.sql_ms.get(chart.key, []), results.api_cold_ms.get(chart.key, []),
                           results.api_warm_ms.get(chart.key, []))
        out(f"| {chart.dashboard} | {chart.key} | {chart.mart} ({chart.mart_kind}) | {chart.mart_rows:,} "
            f"| {results.sql_rows.get(chart.key, 0):,} | {fmt_ms(percentile(sql, 50))} | {fmt_ms(percentile(sql, 95))} "
            f"| {fmt_ms(percentile(cold, 50))} | {fmt_ms(percentile(cold, 95))} | {fmt_ms(percentile(warm, 50))} "
            f"| {fmt_ms(percentile(warm, 95))} | {results.api_warm_cached.get(chart.key, 0)}/{len(warm)} |")

    every = {name: [ms for samples in series.values() for ms in samples] for name, series in (
        ("mart SQL (analyst)", results.sql_ms), ("chart-data API cold (force)", results.api_cold_ms),
        ("chart-data API warm (cache)", results.api_warm_ms))}
    out("\n## All charts\n")
    out("| measure | samples | p50 ms | p95 ms | max ms | slowest chart (p95) |")
    out("|---|---|---|---|---|---|")
    for (name, samples), series in zip(every.items(), (results.sql_ms, results.api_cold_ms, results.api_warm_ms),
                                       strict=True):
        slowest = max(series, key=lambda key: percentile(series[key], 95)) if series else "–"
        slowest_p95 = percentile(series[slowest], 95) if series else math.nan
        out(f"| {name} | {len(samples)} | {fmt_ms(percentile(samples, 50))} | {fmt_ms(percentile(samples, 95))} "
            f"| {fmt_ms(max(samples, default=math.nan))} | {slowest} ({fmt_ms(slowest_p95)}) |")
    out(f"| new analyst connection + SELECT 1 (Superset opens one per query: NullPool) | {len(results.connect_ms)} "
        f"| {fmt_ms(percentile(results.connect_ms, 50))} | {fmt_ms(percentile(results.connect_ms, 95))} "
        f"| {fmt_ms(max(results.connect_ms, default=math.nan))} | – |")
    out(f"\nwarm_caches (the publish step's warm-up of {len(charts)} charts): {results.warm_up_seconds:.1f} s"
        + (f"; failed: {results.warm_up_failed}" if results.warm_up_failed else ""))

    if results.dashboards:
        out(f"\n## Dashboards in headless chromium (ms from navigation until every chart rendered; "
            f"first load + {args.browser_repeats} warm)\n")
        out("Warm medians of the page's own clock (ms since navigation): HTML received; the app has booted and asks "
            "for the dashboard (`/api/v1/dashboard/<slug>`); first chart-data request sent; last chart-data answer "
            "received; every chart drawn. *holders* is when the browser test's wait condition first holds.\n")
        out("| dashboard | charts | first load | warm p50 | warm max | HTML | app booted | first chart request "
            "| last chart answer | all drawn | slowest chart request | holders | cached answers (warm) | errors |")
        out("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for slug, board in results.dashboards.items():
            warm = board["warm"]

            def median(name: str, loads: list[dict[str, Any]] = warm) -> float:
                values = [load[name] for load in loads if load[name] is not None]
                return statistics.median(values) if values else math.nan

            walls = [load["wall_ms"] for load in warm]
            cached = sum(load["chart_responses_cached"] for load in warm)
            answers = sum(load["chart_requests"] for load in warm)
            out(f"| {slug} | {board['charts']} | {fmt_ms(board['first']['wall_ms'])} "
                f"(cached {board['first']['chart_responses_cached']}/{board['first']['chart_requests']}) "
                f"| {fmt_ms(percentile(walls, 50))} | {fmt_ms(max(walls, default=math.nan))} "
                f"| {fmt_ms(median('html_ms'))} | {fmt_ms(median('dashboard_api_ms'))} "
                f"| {fmt_ms(median('first_chart_request_ms'))} | {fmt_ms(median('last_chart_response_ms'))} "
                f"| {fmt_ms(median('rendered_ms'))} | {fmt_ms(median('slowest_chart_request_ms'))} "
                f"| {fmt_ms(median('holders_ms'))} | {cached}/{answers} "
                f"| {sum(load['errors'] for load in [board['first'], *warm])} |")

    sql_p95 = percentile(every["mart SQL (analyst)"], 95)
    out("\n## Targets\n")
    out(f"- mart SQL p95 under {SQL_TARGET_MS:.0f} ms: {fmt_ms(sql_p95)} ms — "
        f"{'met' if sql_p95 < SQL_TARGET_MS else 'NOT met'}")
    if results.dashboards:
        worst = max(results.dashboards, key=lambda s: percentile([x["wall_ms"] for x in results.dashboards[s]["warm"]],
                                                                 50))
        worst_p50 = percentile([x["wall_ms"] for x in results.dashboards[worst]["warm"]], 50)
        worst_max = max(max(x["wall_ms"] for x in board["warm"]) for board in results.dashboards.values())
        out(f"- warm dashboard under {DASHBOARD_TARGET_MS / 1000:.0f} s: slowest warm p50 {fmt_ms(worst_p50)} ms "
            f"({worst}), worst warm load {fmt_ms(worst_max)} ms — "
            f"{'met' if worst_max < DASHBOARD_TARGET_MS else 'NOT met'}")


# --- main --------------------------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Example: python benchmarks/dashboard_latency.py --users 2000 --days 120")
    parser.add_argument("--users", type=int, default=2000, help="demo world size (default 2000)")
    parser.add_argument("--days", type=int, default=120, help="days of demo history (default 120)")
    parser.add_argument("--seed", type=int, default=7, help="demo world seed (default 7)")
    parser.add_argument("--sql-repeats", type=int, default=20, help="runs of each chart's SQL (default 20)")
    parser.add_argument("--api-repeats", type=int, default=5,
                        help="chart-data API calls per chart, cold and warm each (default 5)")
    parser.add_argument("--browser-repeats", type=int, default=5,
                        help="warm loads of each dashboard after the first (default 5)")
    parser.add_argument("--no-browser", action="store_true", help="skip the chromium dashboard loads")
    parser.add_argument("--superset-venv", help="Superset's virtualenv (default: $SUPERSET_VENV, else "
                                                ".reelhouse/superset/venv; installed there when missing)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every sample as JSON")
    parser.add_argument("--keep-home", action="store_true", help="keep the temporary REELHOUSE_HOME")
    parser.add_argument("--reuse-home", type=Path, metavar="DIR",
                        help="measure the warehouse already built in this REELHOUSE_HOME (e.g. what `hourly_run.py "
                             "--keep` leaves: its world and marts, published) instead of building one; kept afterwards")
    args = parser.parse_args(argv)
    if args.reuse_home and not (args.reuse_home / "pgdata").is_dir():
        parser.error(f"--reuse-home {args.reuse_home}: no pgdata folder there (a REELHOUSE_HOME with a warehouse)")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Set up a private warehouse and Superset, measure, report, and stop both whatever happens."""
    args = parse_args(argv)
    # Stop both servers on Ctrl-C and `kill` too (a background job ignores SIGINT unless told otherwise).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = private_environment(args.superset_venv, args.reuse_home)
    from reelhouse.config import get_settings
    from reelhouse.superset import service
    from reelhouse.warehouse import embedded_server, libpq_dsn, role_url
    from reelhouse.warehouse.bootstrap import initialise_warehouse
    from semantic.superset import admin_client, apply

    settings = get_settings()
    command = "python benchmarks/dashboard_latency.py " + " ".join(sys.argv[1:] if argv is None else argv)
    results = Results(command=command.strip(), machine={"date": f"{datetime.now():%Y-%m-%d}", **machine()})
    say(f"private home {home}, PostgreSQL port {os.environ['REELHOUSE_PG_PORT']}, Superset {settings.superset.url}, "
        f"Superset venv {settings.superset.venv}")
    server = embedded_server(settings)
    superset_started = failed = False
    try:
        with timed("start PostgreSQL", results.setup_seconds):
            server.start()
            initialise_warehouse(settings)
        if args.reuse_home:
            say(f"measuring the warehouse built in {home} (--users/--days/--seed do not apply)")
        else:
            build_world(args.users, args.days, args.seed, results.setup_seconds)
        analyst = libpq_dsn(role_url("analyst", settings))
        import psycopg

        with psycopg.connect(analyst) as conn:
            results.machine["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
        results.machine["superset"] = f"{service.SUPERSET_VERSION} (gunicorn 2 workers x 4 threads, file cache)"
        with timed("install Superset (no-op when present)", results.setup_seconds):
            service.install(settings, say=say)
        with timed("start Superset", results.setup_seconds):
            superset_started = True
            service.start(settings, say=say)
        client = admin_client(settings)
        with timed("apply semantic/", results.setup_seconds):
            applied = apply(client, analyst)
        say(f"applied: {applied.datasets} datasets, {applied.charts} charts, {applied.dashboards} dashboards")
        charts = managed_charts(client, analyst)
        results.charts = [asdict(chart) for chart in charts]

        results.machine["load_average_before_measuring"] = round(os.getloadavg()[0], 1)
        measure_sql(client, charts, analyst, args.sql_repeats, results)
        measure_api(client, charts, args.api_repeats, results)
        if not args.no_browser:
            measure_dashboards(settings, args.browser_repeats, results)
        results.machine["load_average_at_end"] = round(os.getloadavg()[0], 1)
        print_report(results, charts, args)
        if args.json:
            args.json.write_text(json.dumps(asdict(results), indent=1))
            say(f"wrote {args.json}")
    except BaseException:
        failed = True
        raise
    finally:
        if superset_started:
            service.stop(settings)
        server.stop()
        if args.keep_home or args.reuse_home or failed:
            say(f"kept {home} (Superset's log: {service.log_file(settings)})")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
