"""Dagster resources. Every value comes from the environment through reelhouse.config, read when a
run needs it, so no secret is ever stored in Dagster's run config or shown in the UI."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.lib.dbt_project import dbt_project
from reelhouse.config import get_settings
from reelhouse.warehouse import app_db_url, role_url


class Warehouse(ConfigurableResource):
    """The warehouse as one of the project roles (loader, transformer, analyst)."""

    def url(self, role: str) -> str:
        return role_url(role)


class AppDatabase(ConfigurableResource):
    """The operational app database (APP_DB_URL, or the demo database next to the warehouse)."""

    def url(self) -> str:
        return app_db_url()


class StripeApi(ConfigurableResource):
    """Stripe's API key and base (STRIPE_API_KEY, STRIPE_API_BASE)."""

    def credentials(self) -> tuple[str, str]:
        settings = get_settings()
        return settings.stripe_api_key, settings.stripe_api_base


def _dbt_executable() -> str:
    """The dbt installed next to this Python (the project's virtualenv), even when it is not on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def build_resources() -> dict[str, object]:
    return {
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable()),
        "warehouse": Warehouse(),
        "app_database": AppDatabase(),
        "stripe_api": StripeApi(),
    }
