"""Publishing after a pipeline run: every chart's cache is warm afterwards; Superset being down is reported
by the publish step without failing the run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def _publish_materializations(result) -> list:
    from dagster import AssetKey

    return [event.materialization for event in result.get_asset_materialization_events()
            if event.asset_key == AssetKey(["superset", "dashboards"])]


def test_warm_up_fills_the_cache_of_every_chart(superset, managed_charts):
    from semantic.superset import warm_caches

    client = superset["client"]
    result = warm_caches(client)
    assert result.failed == {}
    assert sorted(result.warmed) == sorted(chart["slice_name"] for chart in managed_charts)
    cold = [chart["slice_name"] for chart in managed_charts
            if not client.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]["is_cached"]]
    assert cold == []


def test_publish_step_reports_superset_down_and_the_run_still_succeeds(superset, monkeypatch):
    from dagster import materialize

    from orchestration.defs.publish.assets import superset_dashboards
    from orchestration.lib.resources import Superset, Warehouse
    from reelhouse.config import get_settings
    from reelhouse.warehouse.embedded import free_port

    monkeypatch.setenv("SUPERSET_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    get_settings.cache_clear()
    try:
        settings = get_settings()
        result = materialize([superset_dashboards], selection=[superset_dashboards.key], resources={
            "warehouse": Warehouse.from_settings(settings), "superset": Superset.from_settings(settings)})
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.success
    [materialization] = _publish_materializations(result)
    assert materialization.metadata["status"].value == "skipped: Superset unreachable"
    assert "cannot reach Superset" in materialization.metadata["reason"].value


def test_publish_step_provisions_and_warms_when_superset_is_up(superset):
    from dagster import materialize

    from orchestration.defs.publish.assets import superset_dashboards
    from orchestration.lib.resources import Superset, Warehouse
    from reelhouse.config import get_settings

    settings = get_settings()
    result = materialize([superset_dashboards], resources={
        "warehouse": Warehouse.from_settings(settings), "superset": Superset.from_settings(settings)})
    assert result.success
    [materialization] = _publish_materializations(result)
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["status"] == "published"
    assert metadata["caches_warmed"] == metadata["charts"] > 0
