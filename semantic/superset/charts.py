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
    row_limit: int | None = None  # default: every point of a time series, the first 200 rows of a table
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

    @property
    def rows(self) -> int:
        """Tables show the first rows in their order; series never lose points (a cut drops the newest days)."""
        if self.row_limit is not None:
            return self.row_limit
        return 200 if self.viz in ("table", "summary_table") else 50_000


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


def build_chart(spec: ChartSpec, metrics: dict[str, Metric], dataset_id: int = 0,
                filters: list[dict[str, Any]] | None = None) -> tuple[dict, dict]:
    """(params, query_context) for one chart; dataset ids are fixed up by Superset's importer.

    The query is built field for field as the dashboard builds it (so the cache the publish step warms is the
    cache the first viewer hits); `filters` are the dashboard's default native-filter values for this chart.
    """
    names = list(spec.metrics)
    time_column = metrics[names[0]].time_column if names else None
    where = _where(spec, time_column)
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
                           "start_y_axis_at_zero": True, "rolling_type": "None", "time_format": "smart_date"})
            query["columns"] = [column]
            query["extras"]["time_grain_sqla"] = TIME_GRAINS[spec.grain]
            query["post_processing"] = [_pivot(label, [], names[:1], True), {"operation": "flatten"}]
    elif spec.viz in ("line", "bar", "bar_categories"):
        column, label = _axis(_axis_column(spec, time_column))
        series = [] if spec.viz == "bar_categories" else list(spec.groupby)
        params.update({"x_axis": label, "metrics": names, "groupby": series, "show_legend": True,
                       "rich_tooltip": True, "truncate_metric": True, "order_desc": True,
                       "x_axis_time_format": "smart_date", "stack": "Stack" if spec.stacked else None,
                       "only_total": True, "sort_series_type": "sum"})
        if "timeGrain" in column:
            params["time_grain_sqla"] = TIME_GRAINS[spec.grain]
            query["extras"]["time_grain_sqla"] = TIME_GRAINS[spec.grain]
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
                       "label_type": "key_percent", "show_legend": True, "donut": True, "sort_by_metric": True})
        query.update({"columns": list(spec.groupby), "metrics": [names[0]], "orderby": [[names[0], False]],
                      "post_processing": [{"operation": "contribution", "options": {
                          "columns": [names[0]], "rename_columns": [f"{names[0]}__contribution"]}}]})
    elif spec.viz == "table":
        order = [_order(column) for column in spec.order_by]
        params.update({"query_mode": "raw", "all_columns": list(spec.columns), "include_search": True,
                       "order_by_cols": [json.dumps([column, ascending]) for column, ascending in order],
                       "table_timestamp_format": "smart_date", "server_pagination": False,
                       # 200 rows arrive (search covers them all) but a page draws 25: drawing every row of
                       # four tables was most of the Creator board's load time in the benchmark.
                       "page_length": 25,
                       "column_config": {column: {"d3NumberFormat": number_format} for column in spec.columns
                                         if (number_format := _column_format(column))}})
        # No metrics at all (None, not []) is how Superset tells a raw query from a grouped one.
        query.update({"columns": list(spec.columns), "metrics": None, "time_offsets": [], "post_processing": [],
                      "orderby": [[column, ascending] for column, ascending in order]})
    elif spec.viz == "summary_table":
        params.update({"query_mode": "aggregate", "groupby": list(spec.groupby), "metrics": names,
                       "include_search": False, "table_timestamp_format": "smart_date"})
        query.update({"columns": list(spec.groupby), "metrics": names, "orderby": [[names[0], False]],
                      "time_offsets": [], "post_processing": []})
    params.update(spec.extra)

    datasource = {"id": dataset_id, "type": "table"}
    query_context = {"datasource": datasource, "force": False, "queries": [query],
                     "form_data": {**params, "datasource": f"{dataset_id}__table"},
                     "result_format": "json", "result_type": "full"}
    return params, query_context
