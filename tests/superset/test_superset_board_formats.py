"""Issue 23 on a real Superset: every chart's chart-data answer read with the form data that draws it.

A board reads wrong when a rate shows outside [0, 100 %], a number shows more decimals than metrics.yml declares
(or no format at all, so Superset prints 55.666666666666664), a day shows as a timestamp, or a table header is a raw
column name. And with "now" pinned mid-week and mid-day, every KPI card equals its metric over the last complete
day or week of the marts, and every time series ends before the period still running and opens on the board's
window."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from semantic.formats import Format, column_label
from semantic.metrics import Metric, load_metrics
from semantic.superset.assets import SHOWN_SUFFIX, asset_uuid, load_dashboards
from semantic.superset.charts import Clock

pytestmark = pytest.mark.slow

MID_WEEK_MID_DAY = "2026-11-11T14:30:00+00:00"  # a Wednesday afternoon, inside the demo world's history
NUMERIC, STRING, TEMPORAL = 0, 1, 2  # Superset's GenericDataType in a chart-data answer's coltypes
DAY_MS = 86_400_000


def _d3_decimals(d3: str) -> int:
    match = re.fullmatch(r"[$,]*(?:\.(\d+))?([fd%])", d3)
    assert match, f"unexpected d3 format {d3!r}"
    return int(match.group(1) or 0) if match.group(2) != "d" else 0


def _specs() -> dict[str, object]:
    return {asset_uuid("chart", chart.key): chart for spec in load_dashboards() for chart in spec.charts}


def _answers(superset, managed_charts) -> list[tuple[object, dict, dict]]:
    """(spec, form data, chart-data answer) of every managed chart."""
    client, specs = superset["client"], _specs()
    return [(specs[chart["uuid"]], json.loads(client.get(f"/api/v1/chart/{chart['id']}")["result"]["params"]),
             client.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]) for chart in managed_charts]


def _formats_of(spec, params: dict, metrics: dict[str, Metric]) -> tuple[dict[str, Format], dict[str, str | None]]:
    """What each answer column is (metrics.yml) and the d3 format the form data draws it with."""
    if spec.viz in ("table", "summary_table"):
        shown = list(spec.columns) if spec.viz == "table" else [*spec.groupby, *spec.metrics]
        declared = {name: metrics[name].number_format if name in metrics else column_label(spec.dataset, name).format
                    for name in shown}
        config = params.get("column_config", {})
        drawn = {name: config.get(name, {}).get("d3TimeFormat") or config.get(name, {}).get("d3NumberFormat")
                 for name in shown}
        return declared, drawn
    metric_format = metrics[spec.metrics[0]].number_format
    d3 = params.get("number_format") if spec.viz == "pie" else params.get("y_axis_format")
    return {"*": metric_format}, {"*": d3}


def test_every_chart_draws_each_number_and_date_as_metrics_yml_declares_it(superset, managed_charts):
    metrics = load_metrics()
    problems: list[str] = []
    for spec, params, answer in _answers(superset, managed_charts):
        declared, drawn = _formats_of(spec, params, metrics)
        for name, kind in zip(answer["colnames"], answer["coltypes"], strict=True):
            if name.endswith("__contribution") or name == params.get("x_axis") or name in spec.groupby:
                continue  # a pie's shares (drawn by the tooltip), the x axis, the category labels
            number_format = declared.get(name, declared.get("*"))
            d3 = drawn.get(name, drawn.get("*"))
            values = [row[name] for row in answer["data"] if row[name] is not None]
            if number_format is None:
                problems.append(f"{spec.key}.{name}: no format in metrics.yml")
                continue
            if kind == TEMPORAL:
                if number_format.kind not in ("date", "timestamp") or d3 != number_format.d3_time:
                    problems.append(f"{spec.key}.{name}: a {number_format.kind} drawn with {d3!r}")
                if number_format.kind == "date" and any(value % DAY_MS for value in values):
                    problems.append(f"{spec.key}.{name}: declared a date but holds times of day")
                continue
            if kind != NUMERIC or not number_format.is_numeric and number_format.kind != "id":
                continue
            if d3 is None:
                if any(float(value) != int(float(value)) for value in values):
                    problems.append(f"{spec.key}.{name}: fractions drawn without a number format")
                continue
            if d3 != number_format.d3 or _d3_decimals(d3) != number_format.places:
                problems.append(f"{spec.key}.{name}: drawn with {d3!r}, metrics.yml declares {number_format}")
            if number_format.kind == "percent" and any(not 0 <= float(value) <= 1 for value in values):
                problems.append(f"{spec.key}.{name}: a rate outside [0, 100 %]: "
                                f"{sorted(float(v) for v in values)[::max(len(values) - 1, 1)]}")
        for time_format in (params.get("x_axis_time_format"), params.get("tooltipTimeFormat"),
                            params.get("time_format")):
            if time_format and "%H" in time_format:
                problems.append(f"{spec.key}: days drawn with a time of day ({time_format})")
    assert problems == []


def test_every_table_header_and_metric_is_a_label_never_a_raw_column_name(superset, managed_charts):
    client, specs = superset["client"], _specs()
    datasets = {row["table_name"]: row["id"] for row in client.list_all("dataset", ["id", "table_name"])}
    problems = []
    for chart in managed_charts:
        spec = specs[chart["uuid"]]
        dataset = client.get(f"/api/v1/dataset/{datasets[spec.dataset]}")["result"]
        names = {column["column_name"]: column["verbose_name"] for column in dataset["columns"]}
        names |= {metric["metric_name"]: metric["verbose_name"] for metric in dataset["metrics"]}
        shown = [*spec.metrics, *(spec.columns if spec.viz == "table" else ()),
                 *(spec.groupby if spec.viz == "summary_table" else ())]
        for name in shown:
            header = names.get(name)
            if not header or header == name:  # no verbose name: Superset shows the column's own name
                problems.append(f"{spec.key}: header of {name} is {header!r}")
    assert problems == []


def test_the_week_over_week_table_writes_each_row_in_its_metric_format(superset, managed_charts):
    chart = next(c for c in managed_charts if c["uuid"] == asset_uuid("chart", "overview_wow"))
    rows = superset["client"].get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]["data"]
    by_row = {metric.wow_metric: metric for metric in load_metrics().values() if metric.wow_metric}
    with psycopg.connect(superset["analyst_url"]) as conn:
        values = {metric: (current, previous) for metric, current, previous in conn.execute(
            "SELECT metric, current_value, previous_value FROM marts.wow_deltas WHERE weeks = 1")}
    assert len(rows) == len(values)
    for metric, (current, previous) in values.items():
        texts = {(row[f"current_value{SHOWN_SUFFIX}"], row[f"previous_value{SHOWN_SUFFIX}"]) for row in rows}
        expected = (by_row[metric].render(current) if current is not None else None,
                    by_row[metric].render(previous) if previous is not None else None)
        assert expected in texts, (metric, expected, texts)


def _metric_over(conn, metric: Metric, start: date, end: date):
    return conn.execute(f"SELECT {metric.sql} FROM {metric.table}"  # noqa: S608 (our own metrics.yml)
                        f" WHERE {metric.time_column} >= %s AND {metric.time_column} < %s", (start, end)).fetchone()[0]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def _check_cards_and_series(superset, managed_charts, clock: Clock) -> list[str]:
    """Every KPI card's number is its metric over the last complete period before clock.today, the point before
    it the period before; every time series ends before the current period and starts at the window's start."""
    client, specs, metrics = superset["client"], _specs(), load_metrics()
    problems = []
    with psycopg.connect(superset["analyst_url"]) as conn:
        for chart in managed_charts:
            spec = specs[chart["uuid"]]
            if spec.viz != "kpi_trend" and not spec.is_time_series:
                continue
            metric = metrics[spec.metrics[0]]
            answer = client.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]
            points = sorted((row[metric.time_column], row) for row in answer["data"])
            days = [datetime.fromtimestamp(ms / 1000, UTC).date() for ms, _ in points]
            end = clock.complete_end(spec.grain)
            if spec.viz == "kpi_trend":
                last_start = clock.periods_back(spec.grain, 1)
                expected = _metric_over(conn, metric, last_start, end)
                shown = points[-1][1][metric.name] if points else None
                if not points or days[-1] != last_start or not _same(shown, expected):
                    problems.append(f"{spec.key}: shows {shown} for {days[-1] if days else None}; the marts say "
                                    f"{expected} for the {spec.grain} from {last_start} to {end}")
            elif not spec.to_date and days:
                if days[-1] >= end:
                    problems.append(f"{spec.key}: draws {days[-1]}, in the {spec.grain} still running")
                # The window's start, or the mart's first day when it has nothing before (never the calendar's).
                first = conn.execute(f"SELECT min({metric.time_column}) FROM {metric.table}"  # noqa: S608
                                     f" WHERE {spec.where or 'true'}").fetchone()[0]
                first = first.date() if isinstance(first, datetime) else first
                opens = clock.period_start(spec.grain, max(clock.window_start, first))
                if days[0] != opens:
                    problems.append(f"{spec.key}: opens on {days[0]}, not on {opens} (window {clock.time_range})")
    return problems


def test_cards_and_series_on_a_monday_morning_are_the_complete_period_marts(superset, managed_charts):
    from semantic.superset.provision import reporting_clock

    clock = reporting_clock(superset["analyst_url"])
    assert clock.today.weekday() == 0  # the demo clock (tests/conftest.py DEMO_AS_OF) is a Monday
    assert _check_cards_and_series(superset, managed_charts, clock) == []
    # On a Monday the last full week is the week-over-week mart's current week: the cards agree with it.
    client, specs = superset["client"], _specs()
    with psycopg.connect(superset["analyst_url"]) as conn:
        wow = dict(conn.execute("SELECT metric, current_value FROM marts.wow_deltas WHERE weeks = 1").fetchall())
        start, end = conn.execute(
            "SELECT min(current_start), min(current_end) FROM marts.wow_deltas WHERE weeks = 1").fetchone()
    assert (start, end) == (clock.periods_back("week", 1), clock.complete_end("week"))
    compared = 0
    for chart in managed_charts:
        spec = specs[chart["uuid"]]
        metric = load_metrics()[spec.metrics[0]] if spec.metrics else None
        if spec.viz == "kpi_trend" and spec.grain == "week" and metric.wow_metric in wow:
            rows = client.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]["data"]
            last = max(rows, key=lambda row: row[metric.time_column])[metric.name]
            assert _same(last, wow[metric.wow_metric]), (spec.key, last, wow[metric.wow_metric])
            compared += 1
    assert compared >= 3


def test_cards_and_series_with_now_pinned_mid_week_and_mid_day(superset, managed_charts):
    """Re-provisioned as if it were Wednesday 14:30: the marts hold that Wednesday in full (and the days after),
    so a card or series that counted the day or week still running would differ from the complete-period sums."""
    from semantic.superset import apply, warm_caches
    from semantic.superset.provision import reporting_clock

    monday = reporting_clock(superset["analyst_url"])
    pinned = Clock(datetime.fromisoformat(MID_WEEK_MID_DAY).date(), monday.first_day)
    assert pinned.today.weekday() == 2 and pinned.today < monday.today
    client = superset["client"]
    try:
        apply(client, superset["analyst_url"], clock=pinned)
        assert warm_caches(client).failed == {}
        problems = _check_cards_and_series(superset, managed_charts, pinned)
    finally:
        apply(client, superset["analyst_url"])  # back to the marts' own clock for the other tests
        warm_caches(client)
    assert problems == []
    assert pinned.complete_end("day") - timedelta(days=1) == date(2026, 11, 10)  # the last full day: Tuesday
