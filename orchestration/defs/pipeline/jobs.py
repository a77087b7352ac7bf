"""The pipeline's jobs: every asset but the weekly email, in dependency order. Tags carry the run-queue limit (one
pipeline run at a time) and the run retries; the executor holds the warehouse's pipeline lock for the whole run
(orchestration/lib/run_lock.py)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from orchestration.defs.reporting.assets import WEEKLY_REPORT
from orchestration.lib.instance import FULL_REFRESH_TAG, PIPELINE_TAG
from orchestration.lib.retries import run_retry_tags
from orchestration.lib.run_lock import pipeline_executor

PIPELINE = AssetSelection.all() - AssetSelection.assets(WEEKLY_REPORT)

hourly_refresh = define_asset_job(
    name="hourly_refresh",
    selection=PIPELINE,
    description="Ingest deltas -> dbt build (incremental) -> data-quality checks -> publish (BI caches).",
    executor_def=pipeline_executor,
    tags={PIPELINE_TAG: "hourly_refresh", **run_retry_tags()},
)

full_rebuild = define_asset_job(
    name="full_rebuild",
    selection=PIPELINE,
    description="Everything from scratch: full resync of every source and dbt --full-refresh.",
    executor_def=pipeline_executor,
    tags={PIPELINE_TAG: "hourly_refresh", **run_retry_tags(), FULL_REFRESH_TAG: "true"},
)
