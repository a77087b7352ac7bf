"""Superset assets as code: dashboards from semantic/superset/dashboards/*.yml, datasets on every mart,
metrics from semantic/metrics.yml, packed as Superset's native import bundle (a ZIP of YAML keyed by UUID).

UUIDs derive from stable keys (chart key, mart name, dashboard slug), so applying the same code twice
updates the same objects instead of creating new ones. Column headers and number formats come from
semantic/metrics.yml (semantic/formats.py); periods and windows from the marts' reporting date (charts.Clock).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from semantic.formats import Format, column_label
from semantic.metrics import Metric, load_metrics
from semantic.superset.charts import ChartSpec, Clock, build_chart

DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"
NAMESPACE = uuid.UUID("5a8f3c2e-1d4b-4c8e-9f61-7b2d0e9a4c11")
DATABASE_NAME = "Reelhouse marts"
MARTS_SCHEMA = "marts"
EXTERNAL_URL = "https://github.com/reelhouse/reelhouse/tree/main/semantic/superset"
TEMPORAL_TYPES = ("date", "timestamp", "timestamp with time zone", "timestamp without time zone")
# Marts with one row per metric (marts.wow_deltas, keyed by `metric` = a metrics.yml wow_metric): their value
# columns change unit from row to row, so each gets a text twin `<column>_shown` in the dataset, written in the
# row's metric format (the change of a percent in percentage points, signed).
METRIC_ROW_VALUES = {"wow_deltas": {"current_value": False, "previous_value": False, "absolute_change": True}}
SHOWN_SUFFIX = "_shown"


def asset_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"reelhouse:{kind}:{key}"))


@dataclass(frozen=True)
class NativeFilter:
    name: str
    dataset: str
    column: str
    default: str | None = None


@dataclass(frozen=True)
class DashboardSpec:
    title: str
    slug: str
    description: str
    charts: tuple[ChartSpec, ...]
    filters: tuple[NativeFilter, ...] = ()
    creator_facing: bool = False

    @property
    def uuid(self) -> str:
        return asset_uuid("dashboard", self.slug)


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str | None

    @property
    def is_temporal(self) -> bool:
        return self.data_type in TEMPORAL_TYPES


@dataclass(frozen=True)
class Mart:
    """A table or view in the marts schema as the warehouse describes it (dbt persists the docs)."""

    name: str
    description: str | None
    columns: tuple[Column, ...]

    @property
    def uuid(self) -> str:
        return asset_uuid("dataset", self.name)


@cache
def load_dashboards(directory: Path = DASHBOARDS_DIR) -> tuple[DashboardSpec, ...]:
    """Every dashboard spec; malformed specs, duplicate keys or unknown metrics are errors naming the file."""
    metrics = load_metrics()
    dashboards: list[DashboardSpec] = []
    seen_keys: set[str] = set()
    for path in sorted(directory.glob("*.yml")):
        raw = yaml.safe_load(path.read_text()) or {}
        charts = tuple(ChartSpec.from_yaml(entry, path.name) for entry in raw.get("charts") or [])
        for chart in charts:
            if chart.key in seen_keys:
                raise ValueError(f"{path.name}: chart key {chart.key} is used twice")
            seen_keys.add(chart.key)
            for name in chart.metrics:
                if name not in metrics:
                    raise ValueError(f"{path.name}: chart {chart.key} uses metric {name!r}, not in metrics.yml")
                if metrics[name].table != f"{MARTS_SCHEMA}.{chart.dataset}":
                    raise ValueError(f"{path.name}: chart {chart.key} shows {name!r} from {metrics[name].table}, "
                                     f"but its dataset is {chart.dataset}")
        dashboards.append(DashboardSpec(
            title=raw["title"], slug=raw["slug"], description=raw.get("description", ""), charts=charts,
            filters=tuple(NativeFilter(**entry) for entry in raw.get("filters") or []),
            creator_facing=bool(raw.get("creator_facing"))))
    return tuple(dashboards)


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _database(sqlalchemy_uri: str) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": sqlalchemy_uri,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_csv_upload": False,
        "extra": {"allows_virtual_table_explore": True, "metadata_params": {}, "engine_params": {},
                  "schemas_allowed_for_file_upload": []},
        "uuid": asset_uuid("database", DATABASE_NAME),
        "version": "1.0.0",
    }


def _sql_shown(value: str, number_format: Format, signed: bool) -> str:
    """SQL writing a number as Format.render (and Superset's d3 format) writes it; `signed` adds + and a
    percent's change reads in percentage points."""
    places = number_format.places
    pattern = "FM999,999,999,999,990" + ("." + "0" * places if places else "")
    sign = (f"case when {value} < 0 then '-' when {value} > 0 then '+' else '' end" if signed
            else f"case when {value} < 0 then '-' else '' end")
    if number_format.kind == "usd":
        return f"{sign} || '$' || to_char(abs({value}), '{pattern}')"
    if number_format.kind == "percent":
        unit = " pp" if signed else "%"
        return f"{sign} || to_char(abs({value}) * 100, '{pattern}') || '{unit}'"
    return f"{sign} || to_char(abs({value}), '{pattern}')"


def _shown_columns(mart: Mart, metrics: dict[str, Metric]) -> list[dict[str, Any]]:
    """The text twins of a metric-per-row mart's value columns (METRIC_ROW_VALUES)."""
    twins = []
    by_row = {metric.wow_metric: metric for metric in metrics.values() if metric.wow_metric}
    for column, signed in METRIC_ROW_VALUES.get(mart.name, {}).items():
        name = f"{column}{SHOWN_SUFFIX}"
        cases = " ".join(f"when '{row}' then {_sql_shown(column, metric.number_format, signed)}"
                         for row, metric in sorted(by_row.items()))
        label = column_label(mart.name, name)
        twins.append({"column_name": name, "verbose_name": label.label if label else None, "is_dttm": False,
                      "is_active": True, "type": "TEXT", "groupby": False, "filterable": False,
                      "expression": f"case metric {cases} end",
                      "description": f"{column}, written in the format metrics.yml gives the row's metric.",
                      "python_date_format": None})
    return twins


def _verbose_name(mart: Mart, column: Column) -> str | None:
    label = column_label(mart.name, column.name)
    return label.label if label else None


def _dataset(mart: Mart, metrics: list[Metric], all_metrics: dict[str, Metric] | None = None) -> dict[str, Any]:
    temporal = [column.name for column in mart.columns if column.is_temporal]
    return {
        "table_name": mart.name,
        "schema": MARTS_SCHEMA,
        "main_dttm_col": "date_day" if "date_day" in temporal else (temporal[0] if temporal else None),
        "description": mart.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": {"managed_by": "reelhouse semantic/"},
        "uuid": mart.uuid,
        "columns": [{"column_name": column.name, "verbose_name": _verbose_name(mart, column),
                     "is_dttm": column.is_temporal, "is_active": True, "type": column.data_type.upper(),
                     "groupby": True, "filterable": True, "expression": None, "description": column.description,
                     "python_date_format": None}
                    for column in mart.columns] + _shown_columns(mart, all_metrics or {}),
        "metrics": [{"metric_name": metric.name, "verbose_name": metric.label, "metric_type": None,
                     "expression": metric.sql, "description": f"{metric.description} Owner: {metric.owner}.",
                     "d3format": metric.number_format.d3, "extra": None, "warning_text": None}
                    for metric in metrics],
        "version": "1.0.0",
        "database_uuid": asset_uuid("database", DATABASE_NAME),
    }


def _default_filters(dashboard: DashboardSpec, chart: ChartSpec) -> list[dict[str, Any]]:
    """The board's native-filter defaults that apply to this chart, as the dashboard sends them."""
    return [{"col": native.column, "op": "IN", "val": [native.default]} for native in dashboard.filters
            if native.default and native.dataset == chart.dataset]


def _chart(chart: ChartSpec, metrics: dict[str, Metric], filters: list[dict[str, Any]], clock: Clock) -> dict[str, Any]:
    params, query_context = build_chart(chart, metrics, clock=clock, filters=filters, time_range=clock.time_range)
    return {
        "slice_name": chart.title,
        "description": chart.description,
        "viz_type": chart.viz_type,
        "params": params,
        "query_context": json.dumps(query_context),
        "cache_timeout": None,
        "uuid": asset_uuid("chart", chart.key),
        "version": "1.0.0",
        "dataset_uuid": asset_uuid("dataset", chart.dataset),
        "is_managed_externally": True,
        "external_url": f"{EXTERNAL_URL}/dashboards",
    }


def _position(dashboard: DashboardSpec) -> dict[str, Any]:
    """Rows of 12 columns, filled in the order charts are listed."""
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dashboard.title}},
    }
    rows: list[list[ChartSpec]] = []
    for chart in dashboard.charts:
        if not rows or sum(item.width for item in rows[-1]) + chart.width > 12:
            rows.append([])
        rows[-1].append(chart)
    for row_number, row in enumerate(rows, start=1):
        row_id = f"ROW-{row_number}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for chart in row:
            chart_id = f"CHART-{chart.key}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"width": chart.width, "height": chart.height, "sliceName": chart.title,
                         "uuid": asset_uuid("chart", chart.key),
                         "chartId": dashboard.charts.index(chart) + 1}}
    return position


def _native_filter(dashboard: DashboardSpec, native: NativeFilter) -> dict[str, Any]:
    default = {"filterState": {"value": [native.default]},
               "extraFormData": {"filters": [{"col": native.column, "op": "IN", "val": [native.default]}]}} \
        if native.default else {}
    return {
        "id": f"NATIVE_FILTER-{dashboard.slug}-{native.column}",
        "name": native.name,
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "description": "",
        "targets": [{"column": {"name": native.column}, "datasetUuid": asset_uuid("dataset", native.dataset)}],
        "defaultDataMask": default,
        "controlValues": {"enableEmptyFilter": bool(native.default), "defaultToFirstItem": False,
                          "multiSelect": False, "searchAllOptions": False, "inverseSelection": False},
        "cascadeParentIds": [],
        # Only the charts on its dataset: on a board it would also filter (and change the cache key of) the
        # charts of other marts, whose queries _default_filters leaves it out of.
        "scope": {"rootPath": ["ROOT_ID"], "excluded": [
            index for index, chart in enumerate(dashboard.charts, start=1) if chart.dataset != native.dataset]},
    }


def _time_filter(dashboard: DashboardSpec, clock: Clock) -> dict[str, Any]:
    """The board's time filter: it opens the time series on the default window (clock.time_range); a viewer
    widens or narrows it. KPI cards (their own complete periods), tables and category charts are out of scope."""
    chart_ids = {chart.key: index for index, chart in enumerate(dashboard.charts, start=1)}
    return {
        "id": f"NATIVE_FILTER-{dashboard.slug}-time-range",
        "name": "Time range",
        "filterType": "filter_time",
        "type": "NATIVE_FILTER",
        "description": "The days the time series show; they always end with the last complete day, week or "
                       "month.",
        "targets": [{}],
        "defaultDataMask": {"extraFormData": {"time_range": clock.time_range},
                            "filterState": {"value": clock.time_range}, "ownState": {}},
        "controlValues": {"enableEmptyFilter": False},
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"],
                  "excluded": [chart_ids[chart.key] for chart in dashboard.charts if not chart.is_time_series]},
    }


def _dashboard(dashboard: DashboardSpec, clock: Clock) -> dict[str, Any]:
    return {
        "dashboard_title": dashboard.title,
        "description": dashboard.description,
        "css": "",
        "slug": dashboard.slug,
        "uuid": dashboard.uuid,
        "position": _position(dashboard),
        "metadata": {
            "native_filter_configuration": [_native_filter(dashboard, native) for native in dashboard.filters] + (
                [_time_filter(dashboard, clock)] if any(chart.is_time_series for chart in dashboard.charts) else []),
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "timed_refresh_immune_slices": [],
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "cross_filters_enabled": False,
            "chart_configuration": {},
        },
        "version": "1.0.0",
        "published": True,
        "is_managed_externally": True,
        "external_url": f"{EXTERNAL_URL}/dashboards",
    }


def _file_name(kind: str, name: str) -> str:
    return f"{kind}/{name.replace(' ', '_').replace('&', 'and')}.yaml"


def build_bundle(marts: dict[str, Mart], sqlalchemy_uri: str, clock: Clock) -> dict[str, str]:
    """Every file of the import bundle by path. `marts` is the marts schema as the warehouse has it, `clock` its
    reporting date (provision.reporting_clock)."""
    metrics = load_metrics()
    dashboards = load_dashboards()
    missing = {chart.dataset for dashboard in dashboards for chart in dashboard.charts} - set(marts)
    if missing:
        raise ValueError(f"dashboards use marts the warehouse does not have: {sorted(missing)}; run dbt build")
    for metric in metrics.values():
        table = metric.table.removeprefix(f"{MARTS_SCHEMA}.")
        if table not in marts:
            raise ValueError(f"metric {metric.name} is on {metric.table}, which the warehouse does not have")
    files = {
        "metadata.yaml": _dump({"version": "1.0.0", "type": "assets", "timestamp": datetime.now(UTC).isoformat()}),
        _file_name("databases", DATABASE_NAME): _dump(_database(sqlalchemy_uri)),
    }
    for mart in marts.values():
        on_mart = [metric for metric in metrics.values() if metric.table == f"{MARTS_SCHEMA}.{mart.name}"]
        files[_file_name(f"datasets/{DATABASE_NAME}", mart.name)] = _dump(_dataset(mart, on_mart, metrics))
    for dashboard in dashboards:
        for chart in dashboard.charts:
            files[_file_name("charts", chart.key)] = _dump(
                _chart(chart, metrics, _default_filters(dashboard, chart), clock))
        files[_file_name("dashboards", dashboard.slug)] = _dump(_dashboard(dashboard, clock))
    return files


def database_file_name() -> str:
    return _file_name("databases", DATABASE_NAME)


def zip_bundle(files: dict[str, str]) -> bytes:
    """The ZIP Superset's /api/v1/assets/import/ takes: every file under one top folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"reelhouse_assets/{name}", text)
    return buffer.getvalue()
