"""One definition per metric: every metric of semantic/metrics.yml gives the same value through every path that
shows it — its own query on the mart (metric_value; marts.wow_deltas computes that same SQL in dbt), the weekly
email, and Superset's chart-data API (the dataset's saved metric over a time range, and the board cards and the
week-over-week table as they are saved). Change how any one path computes a metric and this fails."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from reelhouse.warehouse import connect, role_url
from semantic.metrics import Metric, load_metrics, metric_value
from semantic.report import build_platform_report, render_platform
from semantic.superset.assets import asset_uuid, load_dashboards

pytestmark = pytest.mark.slow

GRAIN_DAYS = {"day": 1, "week": 7}


def _same(left, right) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)


def _superset_value(client, dataset_id: int, metric: Metric, window: tuple[date, date] | None):
    """The dataset's saved metric through POST /api/v1/chart/data, over [start, end) of its time column."""
    query = {"metrics": [metric.name], "columns": [], "filters": [], "row_limit": 10,
             "extras": {"having": "", "where": ""}}
    if window is not None:
        start, end = window
        query["filters"] = [{"col": metric.time_column, "op": "TEMPORAL_RANGE",
                             "val": f"{start.isoformat()}T00:00:00 : {end.isoformat()}T00:00:00"}]
    answer = client.post("/api/v1/chart/data", {
        "datasource": {"id": dataset_id, "type": "table"}, "queries": [query], "force": True,
        "result_format": "json", "result_type": "full"})
    result = answer["result"][0]
    assert not result.get("error"), f"{metric.name}: {result['error']}"
    return result["data"][0][metric.name] if result["data"] else None


@pytest.fixture(scope="module")
def paths(superset) -> dict:
    """Per (metric, window): the value each path gives. A window is (start, end) or None for the whole mart."""
    metrics = load_metrics()
    with connect(role_url("transformer")) as conn:
        report = build_platform_report(conn, superset["settings"].superset.url)
    _, html = render_platform(report)
    week = (report.week_start, report.week_end + timedelta(days=1))
    last_day = (report.week_end, week[1])
    values: dict[tuple[str, tuple[date, date] | None], dict[str, object]] = {}

    def note(metric: Metric, window, path: str, value) -> None:
        values.setdefault((metric.name, window), {})[path] = value

    for kpi in report.kpis:  # the email: the week and the week before (from wow_deltas) ...
        note(kpi.metric, week, "email", kpi.current)
        note(kpi.metric, (week[0] - timedelta(days=7), week[0]), "email", kpi.previous)
    for figure in report.revenue:  # ... and the revenue section
        note(figure.metric, last_day if figure.period.startswith("on ") else week, "email", figure.value)
    with psycopg.connect(superset["analyst_url"]) as conn:
        by_wow = {metric.wow_metric: metric for metric in metrics.values() if metric.wow_metric}
        for name, weeks, start, end, current, previous in conn.execute(
                "SELECT metric, weeks, current_start, current_end, current_value, previous_value"
                " FROM marts.wow_deltas").fetchall():
            span = timedelta(days=7 * weeks)
            note(by_wow[name], (start, end), "mart wow_deltas", current)
            note(by_wow[name], (start - span, start), "mart wow_deltas", previous)
        for metric in metrics.values():
            four_weeks = (week[1] - timedelta(days=28), week[1])
            windows = [None] if metric.time_column is None else [week, last_day, four_weeks]
            for window in windows:
                values.setdefault((metric.name, window), {})
            for (name, window), found in values.items():
                if name == metric.name:
                    found["metrics.yml SQL"] = metric_value(conn, metric, *(window or (None, None)))
    datasets = {row["table_name"]: row["id"] for row in superset["client"].list_all("dataset", ["id", "table_name"])}
    for (name, window), found in values.items():
        metric = metrics[name]
        found["Superset chart-data"] = _superset_value(superset["client"], datasets[metric.model], metric, window)
    return {"values": values, "html": html, "report": report}


def test_every_metric_has_one_value_through_every_path(paths):
    metrics = load_metrics()
    assert {name for name, _ in paths["values"]} == set(metrics)
    problems = []
    for (name, window), found in sorted(paths["values"].items(), key=lambda item: (item[0][0], str(item[0][1]))):
        reference = found["metrics.yml SQL"]
        differing = {path: value for path, value in found.items() if not _same(value, reference)}
        if differing:
            problems.append(f"{name} over {window or 'the whole mart'}: metrics.yml SQL {reference}, {differing}")
    assert problems == []
    # Each metric the email shows goes through at least three paths; the week-over-week ones through four.
    for kpi in paths["report"].kpis:
        week = (paths["report"].week_start, paths["report"].week_end + timedelta(days=1))
        assert set(paths["values"][(kpi.metric.name, week)]) == {
            "email", "mart wow_deltas", "metrics.yml SQL", "Superset chart-data"}


def test_the_email_prints_each_metric_as_superset_gives_it(paths):
    """The formatted numbers a reader sees in the email are Superset's numbers, formatted by metrics.yml."""
    cells = dict(re.findall(r'data-metric="([a-z_0-9]+)">([^<]+)<', paths["html"]))
    report = paths["report"]
    week = (report.week_start, report.week_end + timedelta(days=1))
    last_day = (report.week_end, week[1])
    shown = [(kpi.metric, week) for kpi in report.kpis] + [
        (figure.metric, last_day if figure.period.startswith("on ") else week) for figure in report.revenue]
    assert shown and set(cells) == {metric.name for metric, _ in shown}
    for metric, window in shown:
        assert cells[metric.name] == metric.render(paths["values"][(metric.name, window)]["Superset chart-data"])


def test_every_board_card_shows_its_metrics_own_value(superset, managed_charts):
    """KPI cards as saved on the boards (weekly or daily buckets, or the whole mart) answer what the metric's
    query gives over the same days; the week-over-week table shows the mart's rows under metrics.yml labels."""
    client = superset["client"]
    metrics = load_metrics()
    ids = {chart["uuid"]: chart["id"] for chart in managed_charts}
    problems, checked = [], 0
    with psycopg.connect(superset["analyst_url"]) as conn:
        for board in load_dashboards():
            for chart in board.charts:
                filtered = any(native.default and native.dataset == chart.dataset for native in board.filters)
                if chart.viz not in ("kpi", "kpi_trend") or chart.where or filtered or chart.grain not in GRAIN_DAYS:
                    continue
                metric = metrics[chart.metrics[0]]
                data = client.get(f"/api/v1/chart/{ids[asset_uuid('chart', chart.key)]}/data/")["result"][0]["data"]
                assert data, chart.key
                for row in data:
                    if chart.viz == "kpi":
                        expected = metric_value(conn, metric)
                        window = "the whole mart"
                    else:
                        start = datetime.fromtimestamp(row[metric.time_column] / 1000, UTC).date()
                        window = (start, start + timedelta(days=GRAIN_DAYS[chart.grain]))
                        expected = metric_value(conn, metric, *window)
                    checked += 1
                    if not _same(row[metric.name], expected):
                        problems.append(f"{chart.key} over {window}: card {row[metric.name]}, SQL {expected}")
        wow_chart = ids[asset_uuid("chart", "overview_wow")]
        table = client.get(f"/api/v1/chart/{wow_chart}/data/")["result"][0]["data"]
        shown = {row["metric_label"]: row for row in table}
        mart = conn.execute(
            "SELECT metric_label, current_value, previous_value FROM marts.wow_deltas WHERE weeks = 1").fetchall()
    by_label = {metric.label: metric for metric in metrics.values() if metric.wow_metric}
    assert set(shown) == {label for label, _, _ in mart} == set(by_label)
    for label, current, previous in mart:  # the table shows each value as text, in its metric's format
        expected = (by_label[label].render(current), by_label[label].render(previous))
        if (shown[label]["current_value_shown"], shown[label]["previous_value_shown"]) != expected:
            problems.append(f"week-over-week table {label}: {shown[label]}, mart {expected}")
    assert checked > 20 and problems == []
