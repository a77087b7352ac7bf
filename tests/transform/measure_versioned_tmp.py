"""Throwaway measurement (not committed): sizes of the incremental marts, held once, on the demo world."""
import time
from datetime import timedelta

from demo.app_world import advance_app_world, generate_app_world
from ingestion.app_db import load_app_tables
from ingestion.costs import load_costs
from reelhouse.warehouse import connect
from reelhouse.warehouse.marts import publish_marts
from tests.conftest import DEMO_AS_OF  # noqa

SEL = "config.materialized:incremental"


def sizes(url, label):
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relkind, n.nspname, pg_total_relation_size(c.oid),"
            " CASE WHEN c.relkind = 'r' THEN (SELECT reltuples FROM pg_class WHERE oid = c.oid) END"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('marts', 'marts_next', 'marts_store') AND c.relkind IN ('r','v')"
            " AND c.relname IN (SELECT relname FROM pg_class WHERE relnamespace = 'marts_store'::regnamespace)"
            " ORDER BY 3, 1").fetchall()
        total = {}
        for name, kind, schema, size, _ in rows:
            total.setdefault(schema, [0, 0])
            total[schema][0] += size
        for schema in ("marts", "marts_next", "marts_store"):
            counts = 0
            for name, kind, s, size, _ in rows:
                if s == schema:
                    counts += conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0]
            total.setdefault(schema, [0, 0])
            total[schema][1] = counts
        kinds = sorted({(s, k) for _, k, s, _, _ in rows})
    print(f"\n[{label}] kinds={kinds} " + "; ".join(f"{s}: {b/1e6:.1f} MB on disk, {n:,} rows"
                                                  for s, (b, n) in sorted(total.items())), flush=True)


def test_measure(fresh_database, scratch_warehouse, run_dbt, capsys):
    from datetime import datetime
    source = fresh_database("measure_app")
    wh = scratch_warehouse("measure_wh")
    as_of = datetime.fromisoformat(DEMO_AS_OF)
    generate_app_world(source, users=400, days=75, seed=7, as_of=as_of)
    load_costs(wh["loader"])
    load_app_tables(source, wh["loader"])
    url = wh["transformer"]
    clock = as_of
    run_dbt(url, clock.isoformat(), "run", "-s", f"+{SEL}")
    t = time.perf_counter(); p = publish_marts(url); print(f"\npublish after first build {time.perf_counter()-t:.3f}s purged={sum(p.purged.values())}")
    sizes(wh["owner"], "first build, published")
    run_dbt(url, clock.isoformat(), "run", "-s", SEL, "--full-refresh")
    sizes(wh["owner"], "full rebuild, not yet published")
    t = time.perf_counter(); p = publish_marts(url); print(f"\npublish after full rebuild {time.perf_counter()-t:.3f}s purged={sum(p.purged.values()):,}")
    sizes(wh["owner"], "full rebuild published")
    advance_app_world(source, hours=1)
    clock += timedelta(hours=1)
    load_app_tables(source, wh["loader"])
    run_dbt(url, clock.isoformat(), "run", "-s", SEL, "--vars", "{\"incremental_lookback_hours\": 0}")
    sizes(wh["owner"], "hourly build, not yet published")
    t = time.perf_counter(); p = publish_marts(url); print(f"\npublish after hourly {time.perf_counter()-t:.3f}s purged={sum(p.purged.values()):,} {p.purged}")
    sizes(wh["owner"], "hourly published")
    with capsys.disabled():
        pass
