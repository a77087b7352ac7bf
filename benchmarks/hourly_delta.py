"""Hourly delta on a big warehouse: does an incremental app load stay in seconds at 10M+ event rows?

    python benchmarks/hourly_delta.py --rows 10000000

Runs on a private embedded PostgreSQL (its own temporary state folder and port), so it never
touches your warehouse. It generates a small demo world, grows the event table(s) named by
--table (default: messages) to --rows rows with one INSERT ... SELECT generate_series in the app
database (copies of the generated rows under new ids, shifted back in time), loads everything
once, then repeats --repeat times: apply one hour of changes (--inserts new and --updates changed
rows per grown table) and time the incremental load of all tables.
Before the first load, --window-rows rows per grown table are stamped within the last day, as a
day of such traffic leaves them: what the late-row check reads and compares on every hourly load
(24 hours of --inserts + --updates by default).
It times the deltas first as the demo schema stands (no index on updated_at in the source), then
with an index on (updated_at, id) on each grown source table, each with the late-row check on (the
default) and off (late_window=0, APP_LATE_ROW_WINDOW_HOURS=0), and finally one hard-delete
reconciliation (`reconcile=True`, which reads every key). Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from psycopg import sql  # noqa: E402

SEED_ROWS = 200_000  # generated rows the copies cycle through


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in each grown table")
    parser.add_argument("--table", action="append", help="event table to grow (repeatable; default messages)")
    parser.add_argument("--inserts", type=int, default=3000, help="new rows per grown table per hour")
    parser.add_argument("--updates", type=int, default=1000, help="changed rows per grown table per hour")
    parser.add_argument("--repeat", type=int, default=3, help="hourly deltas timed per variant")
    parser.add_argument("--window-rows", type=int, help="rows per grown table stamped within the last day "
                        "before the first load (default: 24 hours of inserts + updates)")
    parser.add_argument("--users", type=int, default=300, help="size of the generated world the rows are copied from")
    parser.add_argument("--days", type=int, default=30)
    return parser.parse_args()


def copy_columns(conn, table: str) -> list[str]:
    """Every column but the key, in table order."""
    return [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "AND attname <> 'id' ORDER BY attnum", (table,)).fetchall()]


def insert_copies(conn, table: str, rows: int, stamp: sql.Composable) -> None:
    """Insert `rows` copies of the table's first rows (up to SEED_ROWS) under new ids.

    `stamp` is an SQL expression over the series number g and the copied row s: created_at and updated_at.
    """
    columns = [c for c in copy_columns(conn, table) if c not in ("created_at", "updated_at")]
    ident = sql.Identifier
    conn.execute("DROP TABLE IF EXISTS _seed")
    conn.execute(sql.SQL("CREATE TEMP TABLE _seed AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, * "
                         "FROM (SELECT * FROM {} ORDER BY id LIMIT %s) first_rows").format(ident(table)), (SEED_ROWS,))
    seeds, top = conn.execute(sql.SQL("SELECT (SELECT count(*) FROM _seed), (SELECT max(id) FROM {})")
                              .format(ident(table))).fetchone()
    conn.execute(sql.SQL(
        "INSERT INTO {table} (id, {columns}, created_at, updated_at) "
        "SELECT %s + g, {copied}, {stamp}, {stamp} FROM generate_series(1, %s) g JOIN _seed s ON s.k = mod(g, %s)"
    ).format(table=ident(table), columns=sql.SQL(", ").join(map(ident, columns)),
             copied=sql.SQL(", ").join(sql.SQL("s.{}").format(ident(c)) for c in columns), stamp=stamp),
        (top, rows, seeds))


def grow(app_url: str, table: str, rows: int) -> float:
    """Grow `table` to `rows` rows, the copies stamped 1 to 300 days before their originals."""
    from reelhouse.warehouse import connect

    started = time.perf_counter()
    with connect(app_url) as conn:
        missing = rows - conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
        if missing > 0:
            insert_copies(conn, table, missing, sql.SQL("s.created_at - make_interval(days => 1 + mod(g, 300))"))
        conn.commit()
    with connect(app_url, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    return time.perf_counter() - started


def stamp_last_day(app_url: str, table: str, rows: int) -> None:
    """`rows` random rows re-stamped between 15 minutes and a day ago: the late-row check's window."""
    from reelhouse.warehouse import connect

    with connect(app_url) as conn:
        conn.execute(sql.SQL(
            "UPDATE {t} SET updated_at = now() - interval '15 minutes' - random() * interval '23 hours' "
            "WHERE id IN (SELECT 1 + (random() * (SELECT max(id) FROM {t}))::bigint FROM generate_series(1, %s))"
        ).format(t=sql.Identifier(table)), (rows,))
        conn.commit()


def one_hour_of_changes(app_url: str, table: str, inserts: int, updates: int) -> None:
    """The new and changed rows an hour of app traffic leaves (stamped now: the app stamps its commits)."""
    from reelhouse.warehouse import connect

    with connect(app_url) as conn:
        insert_copies(conn, table, inserts, sql.SQL("now()"))
        conn.execute(sql.SQL(
            "UPDATE {t} SET updated_at = now() "
            "WHERE id IN (SELECT 1 + (random() * (SELECT max(id) FROM {t}))::bigint FROM generate_series(1, %s))"
        ).format(t=sql.Identifier(table)), (updates,))
        conn.commit()


def timed_load(app_url: str, loader_url: str, **options) -> tuple[float, list]:
    from ingestion.app_db import load_app_tables

    started = time.perf_counter()
    results = load_app_tables(app_url, loader_url, **options)
    seconds = time.perf_counter() - started
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return seconds, results


def hourly_deltas(app_url: str, loader_url: str, tables: list[str], args: argparse.Namespace,
                  **options) -> list[tuple]:
    """(seconds, rows moved, seconds spent on the grown tables) for each timed hourly delta."""
    runs = []
    for _ in range(args.repeat):
        for table in tables:
            one_hour_of_changes(app_url, table, args.inserts, args.updates)
        seconds, results = timed_load(app_url, loader_url, **options)
        moved = sum(r.inserted + r.updated for r in results)
        grown = sum(r.duration_seconds for r in results if r.table in tables)
        runs.append((seconds, moved, grown))
        print(f"  delta: {moved:,} rows in {seconds:.2f} s (grown tables {grown:.2f} s)", file=sys.stderr)
    return runs


def describe(runs: list[tuple]) -> str:
    seconds = [r[0] for r in runs]
    grown = statistics.median(r[2] for r in runs)
    return (f"{statistics.median(r[1] for r in runs):,.0f} rows in {statistics.median(seconds):.2f} s "
            f"(min {min(seconds):.2f}, max {max(seconds):.2f}; grown tables {grown:.2f} s)")


def main() -> None:
    args = parse_args()
    tables = args.table or ["messages"]
    from reelhouse.warehouse.embedded import free_port

    home = tempfile.mkdtemp(prefix="reelhouse-bench-")
    os.environ.update(REELHOUSE_HOME=home, REELHOUSE_PG_PORT=str(free_port()))
    from demo.app_world import generate_app_world
    from reelhouse.warehouse import app_db_url, connect, embedded_server, role_url
    from reelhouse.warehouse.bootstrap import initialise_warehouse

    server = embedded_server()
    server.start()
    try:
        initialise_warehouse()
        app, loader = app_db_url(), role_url("loader")
        as_of = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
        generate_app_world(app, users=args.users, days=args.days, seed=7, as_of=as_of)
        window_rows = args.window_rows if args.window_rows is not None else 24 * (args.inserts + args.updates)
        for table in tables:
            print(f"grew {table} to {args.rows:,} rows in {grow(app, table, args.rows):.0f} s", file=sys.stderr)
            stamp_last_day(app, table, window_rows)
        with connect(app) as conn:
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        first_seconds, first = timed_load(app, loader)
        first_rows = sum(r.inserted for r in first)
        print(f"first load: {first_rows:,} rows in {first_seconds:.1f} s", file=sys.stderr)

        plain = hourly_deltas(app, loader, tables, args)
        plain_unchecked = hourly_deltas(app, loader, tables, args, late_window=timedelta(0))
        with connect(app, autocommit=True) as conn:
            for table in tables:
                conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (updated_at, id)").format(
                    sql.Identifier(f"{table}_updated_at_idx"), sql.Identifier(table)))
        indexed = hourly_deltas(app, loader, tables, args)
        unchecked = hourly_deltas(app, loader, tables, args, late_window=timedelta(0))
        reconcile_seconds, reconciled = timed_load(app, loader, reconcile=True)

        print("| scale | first load | hourly delta, no source index | the same, late-row check off | hourly delta, "
              "source index on (updated_at, id) | the same, late-row check off | hard-delete reconciliation "
              "(every key) |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {first_rows:,} app rows ({size}); {', '.join(tables)} at {args.rows:,}, {window_rows:,} in the "
              f"last day | {first_rows:,} rows in {first_seconds:.1f} s = {first_rows / first_seconds:,.0f} rows/s | "
              f"{describe(plain)} | {describe(plain_unchecked)} | {describe(indexed)} | {describe(unchecked)} | "
              f"{reconcile_seconds:.1f} s "
              f"({sum(r.inserted + r.updated for r in reconciled):,} rows moved) |")
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)  # the private warehouse: gigabytes at scale


if __name__ == "__main__":
    main()
