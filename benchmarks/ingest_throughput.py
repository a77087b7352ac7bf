"""Ingestion throughput: our app-database loader against the physical limit and dlt on the same server.

    python benchmarks/ingest_throughput.py --users 2000 --days 120

Runs on a private embedded PostgreSQL (its own temporary state folder and port), so it never
touches your warehouse. It generates a demo world, then measures, for the same tables:
  1. the limit: a bare `COPY (SELECT ...) TO STDOUT` piped into `COPY ... FROM STDIN` of an empty
     copy of each table in the warehouse database, no transformation;
  2. Reelhouse's full load (`load_app_tables`: batches, contracts, merge, cursor, audit);
  3. a dlt `sql_database` pipeline (the tool users would otherwise pick): every table of the source's
     `public` schema, write_disposition="replace", into its own schema on the same server, once per
     configuration in DLT_RUNS (its defaults; the pyarrow backend; pyarrow without gzip), each in a
     subprocess of dlt's own virtualenv (DLT_VENV, created on first use, while the world is generated;
     dlt would fight the project's Dagster/dbt pins) timing its own `pipeline.run`;
  4. an hourly delta after `demo advance --hours 1` (the incremental path);
and the peak RSS of the loader process and of each dlt process; then
  5. Stripe's first load, one lister against `--stripe-listers` parallel slices (ingestion/stripe/slices.py) under
     the default rate limit (STRIPE_REQUESTS_PER_SECOND), objects/s: the world's Stripe account grown to about
     `--stripe-objects` by older copies of its objects, served by the demo server in a process of its own (as
     api.stripe.com is), once with `--stripe-latency-ms` added to every request (the server's delay fault: the
     round trip a real account pays, which parallel listers overlap) and once without (this machine's own limit);
     each run into a fresh warehouse database. `--stripe-only` runs just this part.
Prints Markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _world import prepare_world  # noqa: E402  (benchmarks/ helper)

# dlt and what its sql_database source and postgres destination need; pyarrow (the `parquet` extra) for the
# pyarrow backend, pandas because dlt's docs say it makes that backend 20-30% faster.
DLT_REQUIREMENTS = ("dlt[sql-database,postgres,parquet]>=1.31,<1.32", "sqlalchemy>=2,<3",
                    "psycopg2-binary>=2.9,<3", "pandas>=2,<4")
DLT_VENV = REPO / ".reelhouse" / "bench" / "dlt-venv"
DLT_SCRIPT = Path(__file__).with_name("_dlt_load.py")


class DltRun(NamedTuple):
    """One dlt configuration: the backend, and dlt settings as its documented environment variables."""

    label: str
    backend: str
    settings: dict[str, str]


# dlt's defaults (sqlalchemy backend: rows as dicts through dlt's normalizer into postgres' preferred insert_values);
# the pyarrow backend its docs recommend for large tables (dlt has no insert_values writer for Arrow tables, so it
# writes csv and loads it with COPY by itself: the docs' "fast loading with Arrow tables and CSV", checked in the
# load packages); and pyarrow with the one setting of dlt's performance guide that paid off here: no gzip of the
# normalized files (which cost ~3/4 of normalize). Tried and not kept, no gain beyond the noise on 2 cores:
# normalize workers=2, parallelized extraction, the connectorx backend (slower), on sqlalchemy any of these.
DLT_RUNS = (
    DltRun("sqlalchemy", "sqlalchemy", {}),
    DltRun("pyarrow", "pyarrow", {}),
    DltRun("pyarrow_nogzip", "pyarrow", {"NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION": "true"}),
)


def install_dlt() -> Path:
    """Create dlt's virtualenv (reused when it holds these requirements); returns its python."""
    python = DLT_VENV / "bin" / "python"
    stamp = DLT_VENV / ".reelhouse-installed"
    if stamp.exists() and stamp.read_text() == "\n".join(DLT_REQUIREMENTS):
        return python
    started = time.perf_counter()
    base_python = getattr(sys, "_base_executable", sys.executable)
    for step in ([base_python, "-m", "venv", "--clear", str(DLT_VENV)],
                 [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *DLT_REQUIREMENTS]):
        done = subprocess.run(step, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            raise RuntimeError(f"installing dlt failed: {' '.join(step[:4])}: {done.stderr[-3000:]}")
    stamp.write_text("\n".join(DLT_REQUIREMENTS))
    print(f"dlt virtualenv created in {DLT_VENV} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return python


def run_dlt(python: Path, run: DltRun, dataset: str, source_url: str, warehouse_url: str,
            workdir: Path) -> dict[str, Any]:
    """One dlt load in its own process; its own timings plus the whole process's wall time (imports included)."""
    env = {**os.environ, **run.settings, "DLT_BENCH_SOURCE": source_url, "DLT_BENCH_DESTINATION": warehouse_url,
           # no telemetry calls (this machine reaches no such service), no ~/.dlt or ./.dlt read or written
           "RUNTIME__DLTHUB_TELEMETRY": "false", "DLT_DATA_DIR": str(workdir), "DLT_PROJECT_DIR": str(workdir)}
    started = time.perf_counter()
    done = subprocess.run([str(python), str(DLT_SCRIPT), "--backend", run.backend, "--dataset", dataset,
                           "--workdir", str(workdir / "pipelines")],
                          env=env, cwd=workdir, capture_output=True, text=True, timeout=3600)
    process_seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"dlt load ({run.label}) failed: {done.stderr[-5000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "process_seconds": process_seconds}


# The demo Stripe server in a process of its own: the loader's threads do not share a GIL with it, as they do not with
# api.stripe.com. It prints its base URL and serves until its stdin closes.
STRIPE_SERVER = textwrap.dedent("""
    import sys
    from demo.stripe_world.background import running_stripe_server
    with running_stripe_server(sys.argv[1], sys.argv[2]) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()
""")


def grow_stripe_account(store_url: str, target: int) -> tuple[int, int]:
    """Older copies of every object the loader lists (new ids, `created` moved back by the account's span per
    copy) until the account holds about `target` of them; returns (objects, copies)."""
    from ingestion.stripe.raw import RESOURCES, TABLE_OF_OBJECT
    from reelhouse.warehouse import connect

    kinds = [kind for kind, table in TABLE_OF_OBJECT.items() if table in RESOURCES]
    with connect(store_url) as conn:
        count, oldest, newest = conn.execute(
            "SELECT count(*), min(created), max(created) FROM stripe.objects WHERE object_type = ANY(%s)"
            " AND NOT deleted", (kinds,)).fetchone()
        copies = max(0, -(-target // max(count, 1)) - 1)
        if copies:
            conn.execute(
                "INSERT INTO stripe.objects (id, object_type, created, customer, status, data, deleted)"
                " SELECT o.id || '_c' || k, o.object_type, o.created - k * %(shift)s::bigint, o.customer, o.status,"
                " jsonb_set(jsonb_set(o.data, '{id}', to_jsonb(o.id || '_c' || k)), '{created}',"
                " to_jsonb(o.created - k * %(shift)s::bigint)), false"
                " FROM stripe.objects o, generate_series(1, %(copies)s) AS k"
                " WHERE o.object_type = ANY(%(kinds)s) AND NOT o.deleted",
                {"shift": newest - oldest + 86_400, "copies": copies, "kinds": kinds})
            conn.commit()
            conn.autocommit = True
            conn.execute("ANALYZE stripe.objects")
    return count * (copies + 1), copies


def stripe_server_call(base_url: str, api_key: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Switch the server's faults; returns its answer, with the number of API requests it has served."""
    request = urllib.request.Request(f"{base_url}/__faults", data=json.dumps(changes).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {api_key}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own local server
        return json.loads(answer.read())


def stripe_first_load(base_url: str, api_key: str, listers: int, latency: float, name: str) -> dict[str, Any]:
    """One first load of every Stripe resource into a fresh warehouse database; the resources' share, measured up
    to the moment the last resource is done (the events pass that follows is not sliced and not counted)."""
    from psycopg import sql

    from ingestion.stripe import RESOURCES, load_stripe
    from reelhouse.config import as_role, get_settings
    from reelhouse.warehouse import admin_url, connect
    from reelhouse.warehouse.bootstrap import prepare_database

    with connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    owner = admin_url(name)
    prepare_database(owner)
    loader = as_role(owner, "loader", get_settings().role_passwords["loader"])
    before = stripe_server_call(base_url, api_key, {"delay_seconds": latency})["requests_seen"]
    marks: dict[str, Any] = {}

    def on_progress(resource: str) -> None:
        if resource == RESOURCES[-1]:
            marks["seconds"] = time.perf_counter() - started
            # not measured: the events pass goes without the emulated latency (its retrieves would take minutes)
            marks["requests"] = stripe_server_call(base_url, api_key, {"delay_seconds": 0})["requests_seen"] - before
            with connect(owner) as conn:  # what the listings landed, before the events pass adds any
                marks["objects"] = sum(conn.execute(sql.SQL("SELECT count(*) FROM raw_stripe.{}").format(
                    sql.Identifier(table))).fetchone()[0] for table in RESOURCES)

    started = time.perf_counter()
    results = load_stripe(api_key, base_url, loader, listers=listers, on_progress=on_progress)
    failed = [f"{r.table}: {r.error}" for r in results if not r.ok]
    assert not failed, failed
    with connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    run = {"listers": listers, "latency": latency, **marks}
    print(f"stripe first load: {json.dumps(run)}", file=sys.stderr)
    return run


def stripe_part(args: argparse.Namespace) -> None:
    """Step 5: Stripe's first load, one lister against parallel slices, with and without emulated latency."""
    from reelhouse.config import get_settings
    from reelhouse.warehouse import stripe_demo_db_url

    objects, copies = grow_stripe_account(stripe_demo_db_url(), args.stripe_objects)
    print(f"Stripe account: {objects:,} listed objects ({copies} older copies of the world's)", file=sys.stderr)
    settings = get_settings()
    server = subprocess.Popen([sys.executable, "-c", STRIPE_SERVER, stripe_demo_db_url(), settings.stripe_api_key],
                              cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()
        runs = [stripe_first_load(base_url, settings.stripe_api_key, listers, latency,
                                  f"bench_stripe_{listers}_{round(latency * 1000)}")
                for latency in (args.stripe_latency_ms / 1000, 0.0) for listers in (1, args.stripe_listers)]
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    print()
    print(f"Stripe first load (resources, events pass excluded), rate limit {settings.stripe_requests_per_second:g}"
          " requests/s (STRIPE_REQUESTS_PER_SECOND), demo server in its own process:")
    print()
    print("| latency added per request | listers | objects | seconds | objects/s | requests | requests/s |"
          " vs 1 lister |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        one = next(r for r in runs if r["latency"] == run["latency"] and r["listers"] == 1)
        rate, one_rate = run["objects"] / run["seconds"], one["objects"] / one["seconds"]
        print(f"| {run['latency'] * 1000:.0f} ms | {run['listers']} | {run['objects']:,} | {run['seconds']:.1f} |"
              f" {rate:,.0f} | {run['requests']:,} | {run['requests'] / run['seconds']:.1f} |"
              f" {rate / one_rate:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--stripe-objects", type=int, default=50_000,
                        help="grow the Stripe account to about this many listed objects (default 50,000)")
    parser.add_argument("--stripe-listers", type=int, default=4, help="parallel listers to compare with one")
    parser.add_argument("--stripe-latency-ms", type=float, default=300,
                        help="emulated round trip added to every Stripe request (default 300)")
    parser.add_argument("--stripe-only", action="store_true", help="measure only Stripe's first load (step 5)")
    args = parser.parse_args()

    from reelhouse.warehouse.embedded import free_port

    home = tempfile.mkdtemp(prefix="reelhouse-bench-")
    os.environ.update(REELHOUSE_HOME=home, REELHOUSE_PG_PORT=str(free_port()))
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from demo.app_world import advance_app_world
    from ingestion.app_db import load_app_tables
    from reelhouse.warehouse import admin_url, app_db_url, connect, embedded_server, libpq_dsn, role_url
    from reelhouse.warehouse.bootstrap import initialise_warehouse

    server = embedded_server()
    server.start()
    installer = ThreadPoolExecutor(max_workers=1)
    try:
        # pip works while the world is generated, before any timing
        dlt_python = None if args.stripe_only else installer.submit(install_dlt)
        initialise_warehouse()
        world = prepare_world(args.users, args.days)
        print(f"{'restored' if world.restored else 'generated'}: {world.summary} in {world.seconds:.1f}s",
              file=sys.stderr)
        if args.stripe_only:
            stripe_part(args)
            return
        dlt_python.result()

        with connect(app_db_url()) as source:
            tables = [r[0] for r in source.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        # 1. the limit: bare COPY pipe of the same tables into empty copies on the same server
        with connect(admin_url()) as target:
            target.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy")
            target.commit()
        copied_rows = copied_bytes = 0
        started = time.perf_counter()
        with connect(app_db_url()) as source, connect(admin_url()) as target:
            for table in tables:
                columns = source.execute(
                    "SELECT string_agg(format('%%I %%s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY"
                    " attnum) FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    (f"public.{table}",)).fetchone()[0]
                target.execute(sql.SQL("CREATE TABLE bench_copy.{} ({})").format(sql.Identifier(table),
                                                                                   sql.SQL(columns)))
                with source.cursor().copy(sql.SQL("COPY (SELECT * FROM {}) TO STDOUT").format(
                        sql.Identifier(table))) as out, target.cursor().copy(
                        sql.SQL("COPY bench_copy.{} FROM STDIN").format(sql.Identifier(table))) as into:
                    for chunk in out:
                        copied_bytes += len(chunk)
                        into.write(chunk)
                counted = source.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                copied_rows += counted.fetchone()[0]
            target.commit()
        copy_seconds = time.perf_counter() - started

        # 2. Reelhouse's full load
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        results = load_app_tables(app_db_url(), role_url("loader"))
        load_seconds = time.perf_counter() - started
        loaded = sum(r.inserted + r.updated for r in results)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]

        # 3. dlt, same tables, same server, a schema of its own per configuration. SQLAlchemy 2.1's default
        # PostgreSQL driver is psycopg 3; dlt's postgres extra brings psycopg2, so the source URL names it.
        dlt_source_url = make_url(app_db_url()).set(drivername="postgresql+psycopg2").render_as_string(
            hide_password=False)
        dlt_runs = []
        for dlt_run in DLT_RUNS:
            dataset = f"bench_dlt_{dlt_run.label}"
            with connect(admin_url()) as target:
                target.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(dataset)))
                target.commit()
            workdir = Path(tempfile.mkdtemp(prefix="dlt-", dir=home))
            run = run_dlt(dlt_python.result(), dlt_run, dataset, dlt_source_url, libpq_dsn(admin_url()), workdir)
            shutil.rmtree(workdir, ignore_errors=True)  # its extracted and loaded files, no longer needed
            with connect(admin_url()) as target:  # what landed, counted in the warehouse, not taken from dlt
                landed = [r[0] for r in target.execute(  # dlt creates no table for an empty source table
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                    (dataset, tables))]
                run["rows"] = sum(target.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
                    sql.Identifier(dataset), sql.Identifier(table))).fetchone()[0] for table in landed)
            assert run["rows"] == copied_rows, (dlt_run.label, run["rows"], copied_rows)
            print(f"dlt {dlt_run.label}: {json.dumps(run)}", file=sys.stderr)
            dlt_runs.append((dlt_run, run))

        # 4. an hourly delta
        advance_app_world(app_db_url(), hours=1)
        started = time.perf_counter()
        delta = load_app_tables(app_db_url(), role_url("loader"))
        delta_seconds = time.perf_counter() - started
        delta_rows = sum(r.inserted + r.updated for r in delta)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        limit_rate, ours_rate = copied_rows / copy_seconds, loaded / load_seconds
        megabytes = copied_bytes / 1e6
        print("| scale | rows | bare COPY pipe | Reelhouse full load | ratio | hourly delta | peak RSS |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {args.users:,} users x {args.days} days | {copied_rows:,} ({megabytes:,.0f} MB) | "
              f"{copy_seconds:.1f} s = {limit_rate:,.0f} rows/s, {megabytes / copy_seconds:,.1f} MB/s | "
              f"{load_seconds:.1f} s = {ours_rate:,.0f} rows/s, {megabytes / load_seconds:,.1f} MB/s | "
              f"{ours_rate / limit_rate:.0%} | {delta_rows:,} rows in {delta_seconds:.2f} s | {peak_mb:,.0f} MB "
              f"(before load {rss_before / 1024:,.0f}) |")

        # Side by side; MB/s is always the tables' COPY text size over the load's wall time.
        print()
        print("| loader | rows | load wall time | rows/s | MB/s | of the limit | Reelhouse / this | "
              "dlt steps: extract / normalize / load | whole process (imports too) | peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|---|")

        def row(name: str, rows: int, seconds: float, steps: str, process: str, rss: str) -> None:
            rate = rows / seconds
            print(f"| {name} | {rows:,} | {seconds:.1f} s | {rate:,.0f} | {megabytes / seconds:,.1f} | "
                  f"{rate / limit_rate:.0%} | {ours_rate / rate:.2f}x | {steps} | {process} | {rss} |")

        row("bare COPY pipe (limit)", copied_rows, copy_seconds, "", "", "")
        row("Reelhouse `load_app_tables`", loaded, load_seconds, "", "", f"{peak_mb:,.0f} MB (benchmark process)")
        for dlt_run, run in dlt_runs:
            steps = " / ".join(f"{run['steps'].get(step, float('nan')):.1f} s"
                               for step in ("extract", "normalize", "load"))
            backend = dlt_run.backend + (" (default)" if dlt_run.backend == "sqlalchemy" else "")
            settings = "".join(f", `{key.lower().replace('__', '.')}={value}`"  # as in dlt's config.toml
                               for key, value in dlt_run.settings.items())
            row(f"dlt {run['dlt_version']}, {backend} backend, {' + '.join(run['file_formats'])} files{settings}",
                run["rows"], run["run_seconds"], steps,
                f"{run['process_seconds']:.1f} s (import {run['import_seconds']:.1f} s)",
                f"{run['peak_rss_mb']:,.0f} MB")

        # 5. Stripe's first load: one lister against parallel slices
        stripe_part(args)
    finally:
        installer.shutdown(wait=True)
        server.stop()
        shutil.rmtree(home, ignore_errors=True)  # the private warehouse: gigabytes at scale


if __name__ == "__main__":
    main()
