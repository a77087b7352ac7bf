"""Publish after a pipeline run: bring Superset in line with the code and warm every chart's cache, so the
first viewer after an hourly refresh does not wait for the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field

from semantic.superset.client import SupersetClient
from semantic.superset.provision import ProvisionResult, apply


@dataclass
class WarmUpResult:
    warmed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def warm_caches(client: SupersetClient) -> WarmUpResult:
    """Re-run (force) the saved query of every managed chart; Superset stores each result in its data cache."""
    result = WarmUpResult()
    for chart in client.list_all("chart", ["id", "slice_name", "is_managed_externally"]):
        if not chart.get("is_managed_externally"):
            continue
        answer = client.put("/api/v1/chart/warm_up_cache", {"chart_id": chart["id"]})
        for status in answer.get("result", []):
            if status.get("viz_error"):
                result.failed[chart["slice_name"]] = str(status["viz_error"])[:300]
            else:
                result.warmed.append(chart["slice_name"])
    return result


def publish(client: SupersetClient, analyst_url: str) -> tuple[ProvisionResult, WarmUpResult]:
    return apply(client, analyst_url), warm_caches(client)
