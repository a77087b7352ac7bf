"""Metric definitions stay true to the marts: every metric's SQL runs on the built marts and names only
columns the dbt manifest documents; each metric is defined once (marts.wow_deltas computes the metrics.yml SQL)
and named for what it counts (labels unique)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import sqlglot
from sqlglot import expressions as exp

from reelhouse.warehouse import connect, role_url
from reelhouse.warehouse.marts import BUILD_SCHEMA
from semantic.metrics import DBT_METRICS_MACRO, dbt_metrics_macro, format_value, load_metrics, metric_value
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


def test_the_dbt_macro_wow_deltas_is_built_from_is_metrics_yml():
    """dbt reads the week-over-week metrics from a macro written from metrics.yml; a stale one fails here."""
    assert DBT_METRICS_MACRO.read_text() == dbt_metrics_macro(load_metrics()), (
        f"{DBT_METRICS_MACRO.name} does not match semantic/metrics.yml: run `python -m semantic.metrics`")


def test_no_two_metrics_share_a_label():
    """A label says what is counted: two metrics under one label (the email's "Paying users" next to "paying
    customers") read as one number with two values."""
    labels = Counter(metric.label.casefold() for metric in load_metrics().values())
    assert [label for label, count in labels.items() if count > 1] == []


def test_credit_buyers_and_subscribers_are_two_named_metrics():
    metrics = load_metrics()
    buyers, subscribers = metrics["credit_pack_buyers"], metrics["paying_subscribers"]
    assert "purchase" in buyers.sql and buyers.table == "marts.fct_credit_transactions"
    assert "paying_customers" in subscribers.sql and subscribers.table == "marts.mrr_daily"
    assert "paying" not in buyers.label.lower()


def test_every_week_over_week_value_is_its_metric_over_the_window(built_marts):
    """The mart and the metric's own query (what the email and Superset run) agree for every metric with a
    wow_metric, every window length and both periods; the email's sparkline ends on the same two values."""
    by_wow = {metric.wow_metric: metric for metric in load_metrics().values() if metric.wow_metric}
    problems = []
    with connect(role_url("analyst")) as conn:
        rows = conn.execute(
            "SELECT metric, metric_label, weeks, current_start, current_end, current_value, previous_value"
            " FROM marts.wow_deltas ORDER BY metric, weeks").fetchall()
        assert {row[0] for row in rows} == set(by_wow)
        assert len(rows) == 3 * len(by_wow)
        for name, label, weeks, start, end, current, previous in rows:
            metric = by_wow[name]
            if label != metric.label:
                problems.append(f"{name}: label {label!r} in the mart, {metric.label!r} in metrics.yml")
            span = timedelta(days=7 * weeks)
            for period, value, (low, high) in (("current", current, (start, end)),
                                               ("previous", previous, (start - span, start))):
                expected = metric_value(conn, metric, low, high)
                if value != expected:
                    problems.append(f"{name} {weeks}w {period}: mart {value}, metrics.yml SQL {expected}")
            if weeks == 1:
                series = weekly_series(conn, metric, end)
                if series[-2:] != [previous, current]:
                    problems.append(f"{name}: sparkline ends {series[-2:]}, mart {[previous, current]}")
    assert problems == []


def test_values_are_formatted_the_same_way_everywhere():
    assert format_value(1234.5, "usd") == "$1,234.50"
    assert format_value(-3, "usd") == "-$3.00"
    assert format_value(0.9234, "percent") == "92.3%"
    assert format_value(1234, "integer") == "1,234"
    assert format_value(None, "integer") == "n/a"
