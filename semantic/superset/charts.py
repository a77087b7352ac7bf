"""Chart specs (semantic/superset/dashboards/*.yml) as Superset form data and query contexts.

A chart names its mart, the metrics from semantic/metrics.yml it shows (saved metrics on the dataset, so a
metric is defined once), and for tables the columns. The query context is what Superset runs for the
chart-data API and its cache warm-up; it is built here the way Superset's own chart plugins build it.

Periods (issue 23): "now" is the marts' reporting date (Clock, read from marts.dim_dates when applying), the day
the pipeline's clock falls in, which is never complete. A KPI card shows the last complete day, week or month (its
grain) and compares it with the one before; a time series ends with the last complete period of its grain (the
current one is left out, never drawn as a cliff) and opens on the board's time filter, whose default window is the
last WINDOW_WEEKS whole weeks (or from the first week with data). Formats and column labels come from
semantic/metrics.yml (semantic/formats.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from semantic.formats import Format, column_label
from semantic.metrics import Metric

VIZ_TYPES = {
    "kpi": "big_number_total",        # one number
    "kpi_trend": "big_number",        # latest period, sparkline and change against the period before
    "line": "echarts_timeseries_line",
    "bar": "echarts_timeseries_bar",  # over time
    "bar_categories": "echarts_timeseries_bar",  # one bar per category (x = the group-by column)
    "pie": "pie",
    "table": "table",                 # rows as they are in the mart
    "summary_table": "table",         # grouped rows with metrics
}
TIME_GRAINS = {"day": "P1D", "week": "P1W", "month": "P1M"}
# A time series' default window: the last 13 whole weeks (about 90 days), the board's time filter widens it.
WINDOW_WEEKS = 13
# A KPI card's sparkline: this many complete periods of its grain, the last one the card's number.
KPI_PERIODS = {"day": 30, "week": 8, "month": 12}
# How the x axis and the tooltip name a point of each grain.
AXIS_TIME_FORMATS = {"day": "%d %b", "week": "%d %b", "month": "%b %Y"}
TOOLTIP_TIME_FORMATS = {"day": "%a %d %b %Y", "week": "Week of %d %b %Y", "month": "%B %Y"}


@dataclass(frozen=True)
class Clock:
    """'Now' for the boards. `today` is the marts' reporting date (incomplete until it ends); `first_day` the first
    day with activity, which the default window never opens before."""

    today: date
    first_day: date | None = None

    def period_start(self, grain: str, day: date | None = None) -> date:
        """The first day of the day, week (Monday) or month `day` (default: today) falls in."""
        day = day or self.today
        if grain == "week":
            return day - timedelta(days=day.weekday())
        if grain == "month":
            return day.replace(day=1)
        return day

    def complete_end(self, grain: str) -> date:
        """The end (exclusive) of the last complete period of the grain: the start of the current one."""
        return self.period_start(grain)

    def periods_back(self, grain: str, count: int) -> date:
        """The start of the `count`-th complete period before the current one."""
        end = self.complete_end(grain)
        if grain == "week":
            return end - timedelta(weeks=count)
        if grain == "month":
            months = end.year * 12 + end.month - 1 - count
            return date(months // 12, months % 12 + 1, 1)
        return end - timedelta(days=count)

    @property
    def window_start(self) -> date:
        """Where time series open by default: WINDOW_WEEKS whole weeks back, not before the first week with data."""
        start = self.periods_back("week", WINDOW_WEEKS)
        if self.first_day is not None:
            start = max(start, self.period_start("week", min(self.first_day, self.today)))
        return start

    @property
    def time_range(self) -> str:
        """The board time filter's default, as Superset writes a range: from the window's start, open-ended
        ("2026-08-31 ≤ col < ∞"). Each chart ends itself with its last complete period; an end such as `now` would
        be Superset's wall clock, which is not the marts' clock when REELHOUSE_AS_OF replays a past world."""
        return f"{self.window_start.isoformat()} : "


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    viz: str
    dataset: str
    metrics: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    groupby: tuple[str, ...] = ()
    x: str | None = None
    grain: str = "week"
    where: str | None = None
    order_by: tuple[str, ...] = ()
    row_limit: int | None = None  # default: every point of a time series, the first 200 rows of a table
    stacked: bool = False
    to_date: bool = False  # a time series that also draws the current, partial period (its title must say so)
    width: int = 6
    height: int = 50
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, entry: dict[str, Any], source: str) -> ChartSpec:
        unknown = set(entry) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{source}: chart {entry.get('key')!r} has unknown fields {sorted(unknown)}")
        spec = cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in entry.items()})
        if spec.viz not in VIZ_TYPES:
            raise ValueError(f"{source}: chart {spec.key} has viz {spec.viz!r}, not one of {sorted(VIZ_TYPES)}")
        if spec.grain not in TIME_GRAINS:
            raise ValueError(f"{source}: chart {spec.key} has grain {spec.grain!r}, not one of {sorted(TIME_GRAINS)}")
        if spec.to_date and not spec.is_time_series:
            raise ValueError(f"{source}: chart {spec.key}: to_date is for time series (line or bar over days)")
        if spec.viz in ("table",) and not spec.columns:
            raise ValueError(f"{source}: table chart {spec.key} needs columns")
        if spec.viz not in ("table",) and not spec.metrics:
            raise ValueError(f"{source}: chart {spec.key} needs metrics")
        if not 1 <= spec.width <= 12:
            raise ValueError(f"{source}: chart {spec.key} width must be 1-12")
        return spec

    @property
    def viz_type(self) -> str:
        return VIZ_TYPES[self.viz]

    @property
    def is_time_series(self) -> bool:
        """Drawn over time (the board's time filter applies to it): a line or bar whose x axis is the day."""
        return self.viz in ("line", "bar") and self.x is None

    @property
    def rows(self) -> int:
        """Tables show the first rows in their order; series never lose points (a cut drops the newest days)."""
        if self.row_limit is not None:
            return self.row_limit
        return 200 if self.viz in ("table", "summary_table") else 50_000


def _column_config(spec: ChartSpec, column: str) -> dict[str, Any]:
    """A table column's number or date format from its metrics.yml entry (none for text)."""
    entry = column_label(spec.dataset, column)
    if entry is None:
        return {}
    if entry.format.d3_time:
        return {"d3TimeFormat": entry.format.d3_time}
    if entry.format.kind == "id":  # a key, not an amount: no bar behind it
        return {"d3NumberFormat": entry.format.d3, "showCellBars": False}
    return {"d3NumberFormat": entry.format.d3} if entry.format.d3 else {}


def _metric_config(metric: Metric) -> dict[str, Any]:
    return {"d3NumberFormat": metric.number_format.d3}


def _order(column: str) -> tuple[str, bool]:
    """`-col` sorts descending, `col` ascending; returns (column, ascending)."""
    return (column[1:], False) if column.startswith("-") else (column, True)


def _where(spec: ChartSpec, time_column: str | None, clock: Clock) -> str | None:
    """The chart's own filter, plus its complete periods: a KPI card's sparkline is its last KPI_PERIODS complete
    periods (the number is the last, the change against the one before); a time series ends before the current
    period of its grain, whatever window the board's time filter opens."""
    conditions = [spec.where] if spec.where else []
    if time_column and spec.viz == "kpi_trend":
        start = clock.periods_back(spec.grain, KPI_PERIODS[spec.grain])
        conditions.append(f"{time_column} >= '{start.isoformat()}'")
    if time_column and (spec.viz == "kpi_trend" or spec.is_time_series) and not spec.to_date:
        conditions.append(f"{time_column} < '{clock.complete_end(spec.grain).isoformat()}'")
    return " and ".join(f"({condition})" for condition in conditions) or None


def _base_query(spec: ChartSpec, where: str | None, filters: list[dict[str, Any]]) -> dict[str, Any]:
    """The fields every chart query carries, exactly as Superset's chart plugins send them."""
    return {
        "filters": filters,
        # The dashboard wraps each ad-hoc SQL filter in parentheses once more.
        "extras": {"having": "", "where": f"({where})" if where else ""},
        "applied_time_extras": {},
        "columns": [],
        "metrics": [],
        "annotation_layers": [],
        "row_limit": spec.rows,
        "series_limit": 0,
        "group_others_when_limit_reached": False,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "time_range": "No filter",
    }


def _base_params(spec: ChartSpec, metrics: dict[str, Metric], where: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "viz_type": spec.viz_type,
        "adhoc_filters": ([{"clause": "WHERE", "expressionType": "SQL", "sqlExpression": where,
                            "subject": None, "operator": None, "comparator": None}] if where else []),
        "time_range": "No filter",
        "row_limit": spec.rows,
        "color_scheme": "supersetColors",
        "extra_form_data": {},
        "dashboards": [],
    }
    if spec.metrics:
        formats = {metrics[name].number_format.d3 for name in spec.metrics}
        if len(formats) > 1 and spec.viz not in ("summary_table",):
            raise ValueError(f"chart {spec.key}: its metrics have different formats {sorted(formats)}, but a chart "
                             "has one axis format; split it or use a summary_table")
        params["y_axis_format"] = metrics[spec.metrics[0]].number_format.d3
        if metrics[spec.metrics[0]].format == "percent" and spec.viz in ("line", "bar", "bar_categories"):
            params["y_axis_bounds"] = [0, 1]  # a share: the axis stops at 100%, never at a round 120%
    return params


def _axis_column(spec: ChartSpec, time_column: str | None) -> dict[str, Any] | str:
    if spec.x:
        return spec.x
    if spec.viz == "bar_categories":
        return spec.groupby[0]
    if time_column is None:
        raise ValueError(f"chart {spec.key}: its metrics have no time column; give it an x column")
    return {"timeGrain": TIME_GRAINS[spec.grain], "columnType": "BASE_AXIS", "sqlExpression": time_column,
            "label": time_column, "expressionType": "SQL", "isColumnReference": True}


def _axis(axis: dict[str, Any] | str) -> tuple[dict[str, Any], str]:
    """The x-axis as a query column (a plain column becomes a base-axis reference) and its label."""
    if isinstance(axis, dict):
        return axis, axis["label"]
    return {"columnType": "BASE_AXIS", "sqlExpression": axis, "label": axis, "expressionType": "SQL",
            "isColumnReference": True}, axis


def _pivot(index: str, columns: list[str], names: list[str], drop_missing: bool) -> dict[str, Any]:
    options = {"index": [index], "columns": columns, "drop_missing_columns": drop_missing,
               "aggregates": {name: {"operator": "mean"} for name in names}}
    return {"operation": "pivot", "options": options}


def build_chart(spec: ChartSpec, metrics: dict[str, Metric], *, clock: Clock, dataset_id: int = 0,
                filters: list[dict[str, Any]] | None = None, time_range: str | None = None) -> tuple[dict, dict]:
    """(params, query_context) for one chart; dataset ids are fixed up by Superset's importer.

    The query is built field for field as the dashboard builds it (so the cache the publish step warms is the
    cache the first viewer hits); `filters` are the dashboard's default native-filter values for this chart and
    `time_range` its time filter's default (time series only).
    """
    names = list(spec.metrics)
    time_column = metrics[names[0]].time_column if names else None
    where = _where(spec, time_column, clock)
    params = _base_params(spec, metrics, where)
    query = _base_query(spec, where, filters or [])

    if spec.viz in ("kpi", "kpi_trend"):
        params["metric"] = names[0]
        params.update({"header_font_size": 0.4, "subheader_font_size": 0.15})
        query["metrics"] = [names[0]]
        if spec.viz == "kpi_trend":
            column, label = _axis(_axis_column(spec, time_column))
            params.update({"x_axis": label, "time_grain_sqla": TIME_GRAINS[spec.grain], "compare_lag": 1,
                           "compare_suffix": f"vs the {spec.grain} before", "show_trend_line": True,
                           "start_y_axis_at_zero": True, "rolling_type": "None",
                           "time_format": TOOLTIP_TIME_FORMATS[spec.grain]})
            query["columns"] = [column]
            query["extras"]["time_grain_sqla"] = TIME_GRAINS[spec.grain]
            query["post_processing"] = [_pivot(label, [], names[:1], True), {"operation": "flatten"}]
    elif spec.viz in ("line", "bar", "bar_categories"):
        column, label = _axis(_axis_column(spec, time_column))
        series = [] if spec.viz == "bar_categories" else list(spec.groupby)
        params.update({"x_axis": label, "metrics": names, "groupby": series, "show_legend": True,
                       "rich_tooltip": True, "truncate_metric": True, "order_desc": True,
                       "x_axis_time_format": AXIS_TIME_FORMATS[spec.grain],
                       "tooltipTimeFormat": TOOLTIP_TIME_FORMATS[spec.grain],
                       "stack": "Stack" if spec.stacked else None, "only_total": True, "sort_series_type": "sum"})
        if "timeGrain" in column:
            params["time_grain_sqla"] = TIME_GRAINS[spec.grain]
            query["extras"]["time_grain_sqla"] = TIME_GRAINS[spec.grain]
        if spec.is_time_series and time_range:
            # The time filter acts through the x axis' temporal-range filter, as in a chart saved from Explore.
            params["adhoc_filters"].append({"clause": "WHERE", "expressionType": "SIMPLE", "subject": time_column,
                                            "operator": "TEMPORAL_RANGE", "comparator": "No filter"})
            params["time_range"] = time_range
            query["time_range"] = time_range
            # The board sends the filter's value as the query's time_range; Superset puts it in this filter.
            # (after the board's other filters, as the dashboard orders them).
            query["filters"] = [*query["filters"], {"col": time_column, "op": "TEMPORAL_RANGE", "val": "No filter"}]
        post_processing = [_pivot(label, series, names, False)]
        if spec.viz == "bar_categories":
            params.update({"x_axis_sort": names[0], "x_axis_sort_asc": False, "orientation": "horizontal"})
            post_processing.append({"operation": "sort", "options": {"by": names[0], "ascending": False}})
        if series and len(names) == 1:  # one metric split by series: the series names alone label the lines
            post_processing.append({"operation": "rename",
                                    "options": {"columns": {names[0]: None}, "level": 0, "inplace": True}})
        post_processing.append({"operation": "flatten"})
        query.update({"columns": [column, *series], "series_columns": series, "metrics": names,
                      "orderby": [[names[0], False]], "time_offsets": [], "post_processing": post_processing})
    elif spec.viz == "pie":
        params.update({"metric": names[0], "groupby": list(spec.groupby), "show_labels": True,
                       # key_value: the slice's value in its metric's format (Superset writes shares with 2
                       # decimals, whatever the metric declares); the tooltip still gives the share.
                       "label_type": "key_value", "show_legend": True, "donut": True, "sort_by_metric": True,
                       "number_format": metrics[names[0]].number_format.d3})
        query.update({"columns": list(spec.groupby), "metrics": [names[0]], "orderby": [[names[0], False]],
                      "post_processing": [{"operation": "contribution", "options": {
                          "columns": [names[0]], "rename_columns": [f"{names[0]}__contribution"]}}]})
    elif spec.viz == "table":
        order = [_order(column) for column in spec.order_by]
        params.update({"query_mode": "raw", "all_columns": list(spec.columns), "include_search": True,
                       "order_by_cols": [json.dumps([column, ascending]) for column, ascending in order],
                       "table_timestamp_format": Format("timestamp").d3_time, "server_pagination": False,
                       # 200 rows arrive (search covers them all) but a page draws 25: drawing every row of
                       # four tables was most of the Creator board's load time in the benchmark.
                       "page_length": 25,
                       "column_config": {column: config for column in spec.columns
                                         if (config := _column_config(spec, column))}})
        # No metrics at all (None, not []) is how Superset tells a raw query from a grouped one.
        query.update({"columns": list(spec.columns), "metrics": None, "time_offsets": [], "post_processing": [],
                      "orderby": [[column, ascending] for column, ascending in order]})
    elif spec.viz == "summary_table":
        params.update({"query_mode": "aggregate", "groupby": list(spec.groupby), "metrics": names,
                       "include_search": False, "table_timestamp_format": Format("timestamp").d3_time,
                       "column_config": {**{column: config for column in spec.groupby
                                            if (config := _column_config(spec, column))},
                                         **{name: _metric_config(metrics[name]) for name in names}}})
        query.update({"columns": list(spec.groupby), "metrics": names, "orderby": [[names[0], False]],
                      "time_offsets": [], "post_processing": []})
    params.update(spec.extra)

    datasource = {"id": dataset_id, "type": "table"}
    query_context = {"datasource": datasource, "force": False, "queries": [query],
                     "form_data": {**params, "datasource": f"{dataset_id}__table"},
                     "result_format": "json", "result_type": "full"}
    return params, query_context
