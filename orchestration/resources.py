"""Dagster resources, all configured from the environment through reelhouse.config."""

from __future__ import annotations

from dagster_dbt import DbtCliResource

from orchestration.dbt_project import dbt_project


def build_resources() -> dict[str, object]:
    """Resources shared by every job. Connection details are resolved when a run needs them,
    so loading the code location never starts or contacts a database."""
    return {"dbt": DbtCliResource(project_dir=dbt_project)}
