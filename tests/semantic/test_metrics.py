"""Metric definitions stay true to the marts: every metric's SQL runs on the built marts, by week."""

from __future__ import annotations

from reelhouse.warehouse import connect, role_url
from semantic.metrics import format_value, load_metrics
from semantic.report.content import weekly_series


def test_every_metric_runs_against_its_mart(built_marts):
    metrics = load_metrics()
    assert len(metrics) >= 8
    with connect(role_url("analyst")) as conn:
        end = conn.execute("SELECT min(current_end) FROM marts.wow_deltas").fetchone()[0]
        for metric in metrics.values():
            series = weekly_series(conn, metric, end)  # a renamed or dropped column fails here
            assert len(series) == 8 and any(value is not None for value in series), metric.name


def test_the_last_weekly_point_is_the_week_over_week_current_value(built_marts):
    """Sparklines and the week-over-week cards use the same windows, so an additive metric agrees."""
    metric = load_metrics()["videos_created"]
    with connect(role_url("analyst")) as conn:
        end, current = conn.execute(
            "SELECT current_end, current_value FROM marts.wow_deltas WHERE weeks = 1 AND metric = 'videos_created'"
        ).fetchone()
        assert weekly_series(conn, metric, end)[-1] == current


def test_values_are_formatted_the_same_way_everywhere():
    assert format_value(1234.5, "usd") == "$1,234.50"
    assert format_value(-3, "usd") == "-$3.00"
    assert format_value(0.9234, "percent") == "92.3%"
    assert format_value(1234, "integer") == "1,234"
    assert format_value(None, "integer") == "n/a"
