"""One publishing path: `reelhouse db publish-marts` after a manual `reelhouse dbt build` does what the pipeline's
publish step does (reelhouse/warehouse/marts.py publish_marts, used by both). An incremental mart is a view over its
versioned table in `marts_store`, in both mart schemas: after a full rebuild, the build schema's view already shows the
rebuilt rows (nothing is copied), and the next incremental build continues from them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reelhouse.warehouse import connect

TABLE = "fct_llm_calls"  # an incremental mart: merges the rows landed within the lookback (1 h), on api_call_id
OLD_ROWS = 5


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "reelhouse", *args], capture_output=True, text=True, timeout=1200,
                          env={**os.environ, **env})
    assert done.returncode == 0, f"{' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def difference(url: str) -> tuple[int, int, int]:
    """Rows only in the live view, rows only in the build schema's, rows live."""
    with connect(url) as conn:
        return conn.execute(
            f"SELECT (SELECT count(*) FROM (TABLE marts.{TABLE} EXCEPT ALL TABLE marts_next.{TABLE}) AS a),"  # noqa: S608
            f" (SELECT count(*) FROM (TABLE marts_next.{TABLE} EXCEPT ALL TABLE marts.{TABLE}) AS b),"
            f" (SELECT count(*) FROM marts.{TABLE})").fetchone()


@pytest.mark.timeout(1800)
def test_publish_marts_after_a_full_refresh_leaves_the_rebuilt_rows_to_the_next_build(demo_world, scratch_warehouse,
                                                                                      tmp_path):
    warehouse = scratch_warehouse("publish_after_full_refresh")
    env = {"WAREHOUSE_URL": warehouse["owner"]}
    dbt = ["dbt", "run", "--select", f"+{TABLE}", "--target-path", str(tmp_path / "target"),
           "--log-path", str(tmp_path / "logs")]
    cli("ingest", "--source", "app", "--source", "costs", env=env)
    with connect(warehouse["owner"], autocommit=True) as conn:  # a few calls landed days ago: beyond the lookback
        conn.execute("UPDATE raw_app.api_usage_metrics SET _loaded_at = _loaded_at - interval '3 days' WHERE id IN"
                     " (SELECT id FROM raw_app.api_usage_metrics ORDER BY id LIMIT %s)", (OLD_ROWS,))
    for _ in range(2):  # both schemas have had the model built and published
        cli(*dbt, env=env)
        cli("db", "publish-marts", "--skip-checks", env=env)
    with connect(warehouse["owner"], autocommit=True) as conn:  # rows a rebuild restores (a logic fix, say)
        lost = conn.execute(f"DELETE FROM marts_store.{TABLE} WHERE loaded_at < now() - interval '2 days'"  # noqa: S608
                            ).rowcount
    assert lost == OLD_ROWS

    cli(*dbt, "--full-refresh", env=env)
    published = cli("db", "publish-marts", "--skip-checks", env=env)
    only_live, only_next, rebuilt = difference(warehouse["transformer"])
    assert (only_live, only_next) == (0, 0), published.stdout  # the build schema's view shows the rebuilt rows
    assert "copied" not in published.stdout and "live views now show the build stamped" in published.stdout
    with connect(warehouse["owner"]) as conn:  # held once: views in both schemas, one table with the live rows
        kinds = conn.execute("SELECT string_agg(n.nspname || ':' || c.relkind::text, ',' ORDER BY n.nspname)"
                             " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = %s",
                             (TABLE,)).fetchone()[0]
        assert kinds == "marts:v,marts_next:v,marts_store:r", kinds
        assert conn.execute(f"SELECT count(*) FROM marts_store.{TABLE}").fetchone()[0] == rebuilt  # noqa: S608

    cli(*dbt[:3], TABLE, *dbt[4:], env=env)  # the next incremental build, published: the restored rows stay
    cli("db", "publish-marts", "--skip-checks", env=env)
    with connect(warehouse["transformer"]) as conn:
        assert conn.execute(f"SELECT count(*) FROM marts.{TABLE}").fetchone()[0] == rebuilt  # noqa: S608


@pytest.mark.timeout(1800)
def test_publishing_drops_the_tables_no_model_builds_any_more(demo_world, scratch_warehouse, tmp_path):
    """A removed or renamed model leaves its table: dbt never drops what it stops building. Publishing drops it from
    the build schema before the swap, so readers stop seeing it at once (the previous marts, now the build schema,
    lose their copy at the next publication); one another object depends on is kept, and said. A removed incremental
    model's versioned table in the store goes once no view reads it: at the publication after the one that hides it."""
    warehouse = scratch_warehouse("publish_retires_tables")
    env = {"WAREHOUSE_URL": warehouse["owner"]}
    cli("ingest", "--source", "app", "--source", "costs", env=env)
    cli("dbt", "run", "--select", f"+{TABLE}", "--target-path", str(tmp_path / "target"), "--log-path",
        str(tmp_path / "logs"), env=env)
    with connect(warehouse["transformer"], autocommit=True) as conn:  # what an older release built, in both schemas
        for schema in ("marts", "marts_next"):
            conn.execute(f"CREATE TABLE {schema}.fct_user_engagement_daily AS SELECT 1 AS user_id")  # noqa: S608
            conn.execute(f"CREATE TABLE {schema}.old_depended_on AS SELECT 1 AS id")  # noqa: S608
        # ... and an incremental model it had: versions in the store, a view over them in each mart schema
        conn.execute("CREATE TABLE marts_store.fct_old_incremental AS"
                     " SELECT 1 AS id, now() AS built_at, CAST(NULL AS timestamptz) AS retired_at")
        for schema in ("marts", "marts_next"):
            conn.execute(f"CREATE VIEW {schema}.fct_old_incremental AS"  # noqa: S608
                         " SELECT id FROM marts_store.fct_old_incremental")
    with connect(warehouse["owner"], autocommit=True) as conn:  # someone's own view on one of them
        conn.execute("CREATE VIEW public.my_view AS SELECT * FROM marts_next.old_depended_on")

    published = cli("db", "publish-marts", "--skip-checks", env=env).stdout
    assert "dropped marts_next.fct_user_engagement_daily: no model builds it any more" in published, published
    assert "kept marts_next.old_depended_on" in published, published

    def relations() -> dict[str, set[str]]:
        with connect(warehouse["owner"]) as conn:
            rows = conn.execute("SELECT table_schema, table_name FROM information_schema.tables"
                                " WHERE table_schema IN ('marts', 'marts_next')").fetchall()
        return {schema: {name for s, name in rows if s == schema} for schema in ("marts", "marts_next")}

    def stored(table: str) -> bool:
        with connect(warehouse["owner"]) as conn:
            return conn.execute("SELECT to_regclass(%s)", (f"marts_store.{table}",)).fetchone()[0] is not None

    now = relations()
    assert TABLE in now["marts"] and "fct_user_engagement_daily" not in now["marts"]  # readers: gone at once
    assert "fct_old_incremental" not in now["marts"] and "fct_old_incremental" in now["marts_next"]
    assert stored("fct_old_incremental")  # the previous live view, now in the build schema, still reads it
    assert stored(TABLE)
    assert "old_depended_on" in now["marts"]  # kept, with the view on it
    assert "fct_user_engagement_daily" in now["marts_next"]  # the previous marts still hold theirs

    published = cli("db", "publish-marts", "--skip-checks", env=env).stdout
    assert "fct_user_engagement_daily" not in relations()["marts_next"]  # and lose it at the next publication
    assert "dropped marts_store.fct_old_incremental: no model builds it any more" in published, published
    assert not stored("fct_old_incremental") and stored(TABLE)  # the versions go once no view reads them
