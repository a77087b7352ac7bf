"""The Superset assets in code hang together before any Superset runs: specs parse, metrics exist on the
chart's mart, the bundle's dashboards reference only charts it contains, and dbt exposures match the boards."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
import yaml

from semantic.superset.assets import (
    Column,
    Mart,
    asset_uuid,
    build_bundle,
    load_dashboards,
)
from semantic.superset.charts import ChartSpec, Clock

EXPOSURES = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "_exposures.yml"


def _fake_marts() -> dict[str, Mart]:
    """Every mart the specs and metrics name, with the columns they use (the real ones come from PostgreSQL)."""
    from semantic.metrics import load_metrics

    names = {chart.dataset for spec in load_dashboards() for chart in spec.charts}
    names |= {metric.table.removeprefix("marts.") for metric in load_metrics().values()}
    return {name: Mart(name, f"{name} mart", (Column("date_day", "date", "day"), Column("creator_id", "bigint", None)))
            for name in names}


def test_the_bundle_has_every_dashboard_chart_and_dataset_once():
    files = build_bundle(_fake_marts(), "postgresql+psycopg2://analyst:XXXXXXXXXX@db:5432/reelhouse",
                         Clock(date(2026, 11, 16)))
    charts = {yaml.safe_load(text)["uuid"] for name, text in files.items() if name.startswith("charts/")}
    dashboards = [yaml.safe_load(text) for name, text in files.items() if name.startswith("dashboards/")]
    assert len(dashboards) == len(load_dashboards()) >= 8
    for dashboard in dashboards:
        in_layout = {item["meta"]["uuid"] for item in dashboard["position"].values()
                     if isinstance(item, dict) and item.get("type") == "CHART"}
        assert in_layout and in_layout <= charts, dashboard["slug"]
    assert len(charts) == sum(len(spec.charts) for spec in load_dashboards())
    assert "XXXXXXXXXX" in files["databases/Reelhouse_marts.yaml"]  # the password travels separately


def test_uuids_are_stable_across_runs():
    assert asset_uuid("chart", "overview_mrr") == asset_uuid("chart", "overview_mrr")
    assert uuid.UUID(asset_uuid("dashboard", "engagement")).version == 5


def test_dashboard_exposures_list_exactly_the_marts_each_board_reads():
    exposures = {exposure["url"].rstrip("/").rsplit("/", 1)[-1]: exposure
                 for exposure in yaml.safe_load(EXPOSURES.read_text())["exposures"] if exposure["type"] == "dashboard"}
    for spec in load_dashboards():
        assert spec.slug in exposures, f"no dbt exposure for dashboard {spec.slug}"
        refs = {ref.removeprefix("ref('").removesuffix("')") for ref in exposures[spec.slug]["depends_on"]}
        assert refs == {chart.dataset for chart in spec.charts}, spec.slug
    assert set(exposures) == {spec.slug for spec in load_dashboards()}


@pytest.mark.parametrize(("entry", "message"), [
    ({"key": "k", "title": "t", "viz": "sankey", "dataset": "d", "metrics": ["m"]}, "viz 'sankey'"),
    ({"key": "k", "title": "t", "viz": "table", "dataset": "d"}, "needs columns"),
    ({"key": "k", "title": "t", "viz": "line", "dataset": "d"}, "needs metrics"),
    ({"key": "k", "title": "t", "viz": "line", "dataset": "d", "metrics": ["m"], "colour": "red"}, "unknown fields"),
])
def test_a_malformed_chart_spec_is_an_error_naming_the_chart(entry, message):
    with pytest.raises(ValueError, match=message):
        ChartSpec.from_yaml(entry, "x.yml")


def test_each_board_with_time_series_has_a_time_filter_scoped_to_them_and_select_filters_to_their_mart():
    files = build_bundle(_fake_marts(), "postgresql+psycopg2://analyst:XXXXXXXXXX@db:5432/reelhouse",
                         Clock(date(2026, 11, 16), first_day=date(2026, 9, 2)))
    for spec in load_dashboards():
        dashboard = yaml.safe_load(files[f"dashboards/{spec.slug}.yaml"])
        filters = {native["filterType"]: native for native in dashboard["metadata"]["native_filter_configuration"]}
        ids = {index: chart for index, chart in enumerate(spec.charts, start=1)}
        series = {index for index, chart in ids.items() if chart.is_time_series}
        if not series:
            assert "filter_time" not in filters, spec.slug
            continue
        time_filter = filters["filter_time"]
        assert time_filter["defaultDataMask"]["extraFormData"] == {"time_range": "2026-08-31 : "}
        assert set(time_filter["scope"]["excluded"]) == set(ids) - series, spec.slug
        for native in dashboard["metadata"]["native_filter_configuration"]:
            if native["filterType"] == "filter_select":
                dataset = native["targets"][0]["datasetUuid"]
                assert {ids[index].dataset for index in set(ids) - set(native["scope"]["excluded"])} == {
                    chart.dataset for chart in spec.charts if asset_uuid("dataset", chart.dataset) == dataset}
