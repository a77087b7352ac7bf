"""Ingestion throughput: our app-database loader against the physical limit on the same server.

    python benchmarks/ingest_throughput.py --users 2000 --days 120

Runs on a private embedded PostgreSQL (its own temporary state folder and port), so it never
touches your warehouse. It generates a demo world, then measures, for the same tables:
  1. the limit: a bare `COPY (SELECT ...) TO STDOUT` piped into `COPY ... FROM STDIN` of an empty
     copy of each table in the warehouse database, no transformation;
  2. Reelhouse's full load (`load_app_tables`: batches, contracts, merge, cursor, audit);
  3. an hourly delta after `demo advance --hours 1` (the incremental path);
and the peak RSS of the loader process. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--days", type=int, default=120)
    args = parser.parse_args()

    from reelhouse.warehouse.embedded import free_port

    home = tempfile.mkdtemp(prefix="reelhouse-bench-")
    os.environ.update(REELHOUSE_HOME=home, REELHOUSE_PG_PORT=str(free_port()))
    from psycopg import sql

    from demo.app_world import advance_app_world, generate_app_world
    from ingestion.app_db import load_app_tables
    from reelhouse.warehouse import admin_url, app_db_url, connect, embedded_server, role_url
    from reelhouse.warehouse.bootstrap import initialise_warehouse

    server = embedded_server()
    server.start()
    try:
        initialise_warehouse()
        started = time.perf_counter()
        summary = generate_app_world(app_db_url(), users=args.users, days=args.days, seed=7,
                                     as_of=datetime(2026, 11, 16, 12, tzinfo=UTC))
        generate_seconds = time.perf_counter() - started
        print(f"generated: {summary} in {generate_seconds:.1f}s", file=sys.stderr)

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

        # 3. an hourly delta
        advance_app_world(app_db_url(), hours=1)
        started = time.perf_counter()
        delta = load_app_tables(app_db_url(), role_url("loader"))
        delta_seconds = time.perf_counter() - started
        delta_rows = sum(r.inserted + r.updated for r in delta)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        limit_rate, ours_rate = copied_rows / copy_seconds, loaded / load_seconds
        print("| scale | rows | bare COPY pipe | Reelhouse full load | ratio | hourly delta | peak RSS |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {args.users:,} users x {args.days} days | {copied_rows:,} ({copied_bytes / 1e6:,.0f} MB) | "
              f"{copy_seconds:.1f} s = {limit_rate:,.0f} rows/s, {copied_bytes / 1e6 / copy_seconds:,.1f} MB/s | "
              f"{load_seconds:.1f} s = {ours_rate:,.0f} rows/s | {ours_rate / limit_rate:.0%} | "
              f"{delta_rows:,} rows in {delta_seconds:.2f} s | {peak_mb:,.0f} MB "
              f"(before load {rss_before / 1024:,.0f}) |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
