"""video_retention_rollup gives the drop-off charts exactly the average they computed over video_retention_curve.

Before the rollup, both charts (semantic/superset/dashboards/content.yml and creator.yml) averaged
`avg(share_remaining)` over video_retention_curve by position_pct: over every course video on the content board,
over a creator's own videos on the creator board (row-level security on creator_id), over every video for an admin
on the creator board. On the demo world, each of those equals the metric the charts now run over the rollup's rows
(its `sql` from semantic/metrics.yml, with the chart's `where`), to the last digit, and the rollup's own
avg_share_remaining column too.
"""

from __future__ import annotations

from reelhouse.warehouse import connect
from reelhouse.warehouse.marts import BUILD_SCHEMA
from semantic.metrics import load_metrics
from semantic.superset.assets import load_dashboards

CURVE = f"{BUILD_SCHEMA}.video_retention_curve"
ROLLUP = f"{BUILD_SCHEMA}.video_retention_rollup"


def _chart(key: str):
    return next(chart for dashboard in load_dashboards() for chart in dashboard.charts if chart.key == key)


def test_the_rollup_equals_the_average_the_charts_computed_over_the_curve(demo_world, scratch_warehouse, run_dbt):
    from ingestion.app_db import load_app_tables
    from ingestion.costs import load_costs

    warehouse = scratch_warehouse("retention_rollup")
    load_costs(warehouse["loader"])
    load_app_tables(demo_world["app_url"], warehouse["loader"])
    run_dbt(warehouse["transformer"], demo_world["as_of"].isoformat(), "run", "-s", "+video_retention_rollup")

    metric = load_metrics()["avg_share_remaining"]
    assert metric.table == "marts.video_retention_rollup"
    content, creator = _chart("content_retention_curve"), _chart("creator_retention")
    assert (content.dataset, creator.dataset) == ("video_retention_rollup", "video_retention_rollup")
    assert content.metrics == creator.metrics == ("avg_share_remaining",)
    assert content.x == creator.x == "position_pct"

    with connect(warehouse["transformer"]) as conn:
        def curve(where: str = "true") -> dict:
            return dict(conn.execute(f"SELECT position_pct, avg(share_remaining) FROM {CURVE} WHERE {where}"
                                     " GROUP BY position_pct").fetchall())

        def chart(where: str, rls: str = "true") -> dict:
            return dict(conn.execute(f"SELECT position_pct, {metric.sql} FROM {ROLLUP} WHERE ({where}) AND {rls}"
                                     " GROUP BY position_pct").fetchall())

        def column(where: str) -> dict:
            return dict(conn.execute(f"SELECT position_pct, avg_share_remaining FROM {ROLLUP} WHERE {where}"))

        everyone = curve()
        assert len(everyone) == 21 and everyone[0] == 1, everyone
        assert chart(content.where) == everyone == column("scope = 'all'")  # the content board
        assert chart(creator.where) == everyone  # the creator board, seen by an admin (no row-level security)
        creators = [creator_id for (creator_id,) in conn.execute(f"SELECT DISTINCT creator_id FROM {CURVE}")]
        assert len(creators) >= 2, creators
        for creator_id in creators:  # the creator board as each creator sees it
            own = curve(f"creator_id = {creator_id}")
            assert chart(creator.where, f"creator_id = {creator_id}") == own, creator_id
            assert column(f"scope = 'creator' AND creator_id = {creator_id}") == own, creator_id
        # A creator's row-level security leaves no row of all videos: the creator chart's filter keeps their own.
        assert conn.execute(f"SELECT count(*) FROM {ROLLUP} WHERE scope = 'all' AND creator_id IS NOT NULL"
                            ).fetchone()[0] == 0
