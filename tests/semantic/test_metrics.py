"""Metric definitions stay true to the marts: every metric's SQL runs on the built marts and names only
columns the dbt manifest documents."""

from __future__ import annotations

import json

import sqlglot
from sqlglot import expressions as exp

from reelhouse.warehouse import connect, role_url
from reelhouse.warehouse.marts import BUILD_SCHEMA
from semantic.metrics import format_value, load_metrics
from semantic.report.content import weekly_series


def test_every_metric_runs_against_its_mart(built_marts):
    metrics = load_metrics()
    assert len(metrics) >= 8
    with connect(role_url("analyst")) as conn:
        end = conn.execute("SELECT min(current_end) FROM marts.wow_deltas").fetchone()[0]
        for metric in metrics.values():
            has_rows = conn.execute(f"SELECT count(*) > 0 FROM {metric.table}").fetchone()[0]
            if metric.time_column is None:
                value = conn.execute(f"SELECT {metric.sql} FROM {metric.table}").fetchone()[0]
                assert (value is not None) == has_rows, metric.name
                continue
            series = weekly_series(conn, metric, end)  # a renamed or dropped column fails here
            assert len(series) == 8, metric.name
            if metric.wow_metric or has_rows:
                assert any(value is not None for value in series), metric.name


def _columns_named(sql: str) -> set[str]:
    return {column.name for column in sqlglot.parse_one(sql, read="postgres").find_all(exp.Column)}


def test_metrics_name_only_columns_the_dbt_manifest_has(built_marts):
    """A mart column renamed or dropped in dbt breaks the metric (and the Superset dataset) here, by name."""
    manifest = json.loads((built_marts / "manifest.json").read_text())
    columns = {node["name"]: set(node["columns"]) for node in manifest["nodes"].values()
               if node["resource_type"] == "model" and node["schema"] == BUILD_SCHEMA}
    problems = []
    for metric in load_metrics().values():
        table = metric.table.removeprefix("marts.")
        if table not in columns:
            problems.append(f"{metric.name}: no mart {table} in the manifest")
            continue
        named = _columns_named(metric.sql) | ({metric.time_column} if metric.time_column else set())
        problems += [f"{metric.name}: {table} has no column {name}" for name in sorted(named - columns[table])]
    assert problems == []


def test_the_column_check_would_catch_a_missing_column():
    assert _columns_named("sum(gross_margin_usd) * 1.0 / nullif(sum(net_revenue_usd), 0)") == {
        "gross_margin_usd", "net_revenue_usd"}
    assert _columns_named("count(distinct case when transaction_type = 'purchase' then user_id end)") == {
        "transaction_type", "user_id"}


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
