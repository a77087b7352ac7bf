"""Chart specs (semantic/superset/dashboards/*.yml) as Superset form data and query contexts.

A chart names its mart, the metrics from semantic/metrics.yml it shows (saved metrics on the dataset, so a
metric is defined once), and for tables the columns. The query context is what Superset runs for the
chart-data API and its cache warm-up; it is built here the way Superset's own chart plugins build it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
FORMATS = {"integer": ",d", "usd": "$,.2f", "percent": ".1%"}


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
    row_limit: int = 1000
    stacked: bool = False
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


def _column_format(column: str) -> str | None:
    """Number formats for table columns, by the naming convention of the marts."""
    if column.endswith(("_rate", "_fraction", "_share", "avg_completion", "share_remaining")):
        return ".1%"
    if column.endswith("_usd"):
        return "$,.2f"
    if column.startswith("hours_"):
        return ",.1f"
    return None


def _order(column: str) -> tuple[str, bool]:
    """`-col` sorts descending, `col` ascending; returns (column, ascending)."""
    return (column[1:], False) if column.startswith("-") else (column, True)


def _where(spec: ChartSpec, time_column: str | None) -> str | None:
    """The chart's own filter; a KPI card by week or month also leaves out the period still running, so its
    number and its change compare whole periods."""
    conditions = [spec.where] if spec.where else []
    if spec.viz == "kpi_trend" and spec.grain != "day" and time_column:
        conditions.append(f"{time_column} < date_trunc('{spec.grain}', current_date)")
    return " and ".join(f"({condition})" for condition in conditions) or None


def _base_query(spec: ChartSpec, where: str | None) -> dict[str, Any]:
    return {
        "filters": [],
        "extras": {"having": "", "where": where or ""},
        "applied_time_extras": {},
        "columns": [],
        "metrics": [],
        "orderby": [],
        "annotation_layers": [],
        "row_limit": spec.row_limit,
        "series_limit": 0,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "post_processing": [],
    }


def _base_params(spec: ChartSpec, metrics: dict[str, Metric], where: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "viz_type": spec.viz_type,
        "adhoc_filters": ([{"clause": "WHERE", "expressionType": "SQL", "sqlExpression": where,
                            "subject": None, "operator": None, "comparator": None}] if where else []),
        "time_range": "No filter",
        "row_limit": spec.row_limit,
        "color_scheme": "supersetColors",
        "extra_form_data": {},
        "dashboards": [],
    }
    if spec.metrics:
        params["y_axis_format"] = FORMATS[metrics[spec.metrics[0]].format]
    return params


def _axis_column(spec: ChartSpec, time_column: str | None) -> dict[str, Any] | str:
    if spec.x:
        return spec.x
    if spec.viz == "bar_categories":
        return spec.groupby[0]
    if time_column is None:
        raise ValueError(f"chart {spec.key}: its metrics have no time column; give it an x column")
    return {"timeGrain": TIME_GRAINS[spec.grain], "columnType": "BASE_AXIS", "sqlExpression": time_column,
            "label": time_column, "expressionType": "SQL"}


def build_chart(spec: ChartSpec, metrics: dict[str, Metric], dataset_id: int = 0) -> tuple[dict, dict]:
    """(params, query_context) for one chart; dataset ids are fixed up by Superset's importer."""
    names = list(spec.metrics)
    time_column = metrics[names[0]].time_column if names else None
    where = _where(spec, time_column)
    params = _base_params(spec, metrics, where)
    query = _base_query(spec, where)
    post_processing: list[dict[str, Any]] = []

    if spec.viz in ("kpi", "kpi_trend"):
        params["metric"] = names[0]
        params.update({"header_font_size": 0.4, "subheader_font_size": 0.15})
        query["metrics"] = [names[0]]
        if spec.viz == "kpi_trend":
            axis = _axis_column(spec, time_column)
            params.update({"x_axis": time_column, "time_grain_sqla": TIME_GRAINS[spec.grain], "compare_lag": 1,
                           "compare_suffix": f"vs the {spec.grain} before",
                           "show_trend_line": True,
                           "start_y_axis_at_zero": True, "rolling_type": "None", "time_format": "smart_date"})
            query["columns"] = [axis]
            query["orderby"] = [[axis["label"] if isinstance(axis, dict) else axis, True]]
            post_processing = [{"operation": "pivot", "options": {
                "index": [time_column], "columns": [], "drop_missing_columns": True,
                "aggregates": {names[0]: {"operator": "mean"}}}}]
    elif spec.viz in ("line", "bar", "bar_categories"):
        axis = _axis_column(spec, time_column)
        axis_label = axis["label"] if isinstance(axis, dict) else axis
        series = [] if spec.viz == "bar_categories" else list(spec.groupby)
        params.update({"x_axis": axis_label, "metrics": names, "groupby": series, "show_legend": True,
                       "rich_tooltip": True, "truncate_metric": True, "order_desc": True,
                       "x_axis_time_format": "smart_date", "stack": "Stack" if spec.stacked else None,
                       "only_total": True, "sort_series_type": "sum"})
        if isinstance(axis, dict):
            params["time_grain_sqla"] = TIME_GRAINS[spec.grain]
        if spec.viz == "bar_categories":
            params.update({"x_axis_sort": names[0], "x_axis_sort_asc": False, "orientation": "horizontal"})
        query["columns"] = [axis, *series]
        query["series_columns"] = series
        query["metrics"] = names
        query["orderby"] = [[names[0], False]] if spec.viz == "bar_categories" else [[axis_label, True]]
        post_processing = [
            {"operation": "pivot", "options": {"index": [axis_label], "columns": series,
                                               "aggregates": {name: {"operator": "mean"} for name in names},
                                               "drop_missing_columns": False}},
            {"operation": "flatten"},
        ]
    elif spec.viz == "pie":
        params.update({"metric": names[0], "groupby": list(spec.groupby), "show_labels": True,
                       "label_type": "key_percent", "show_legend": True, "donut": True, "sort_by_metric": True})
        query.update({"columns": list(spec.groupby), "metrics": [names[0]], "orderby": [[names[0], False]]})
    elif spec.viz == "table":
        order = [_order(column) for column in spec.order_by]
        params.update({"query_mode": "raw", "all_columns": list(spec.columns), "include_search": True,
                       "order_by_cols": [json.dumps([column, ascending]) for column, ascending in order],
                       "table_timestamp_format": "smart_date", "server_pagination": False,
                       "column_config": {column: {"d3NumberFormat": number_format} for column in spec.columns
                                         if (number_format := _column_format(column))}})
        # No metrics at all (None, not []) is how Superset tells a raw query from a grouped one.
        query.update({"columns": list(spec.columns), "metrics": None,
                      "orderby": [[column, ascending] for column, ascending in order]})
    elif spec.viz == "summary_table":
        params.update({"query_mode": "aggregate", "groupby": list(spec.groupby), "metrics": names,
                       "include_search": False, "table_timestamp_format": "smart_date"})
        query.update({"columns": list(spec.groupby), "metrics": names, "orderby": [[names[0], False]]})
    query["post_processing"] = post_processing
    params.update(spec.extra)

    datasource = {"id": dataset_id, "type": "table"}
    query_context = {"datasource": datasource, "force": False, "queries": [query],
                     "form_data": {**params, "datasource": f"{dataset_id}__table"},
                     "result_format": "json", "result_type": "full"}
    return params, query_context
