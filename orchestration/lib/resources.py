"""Dagster resources: typed fields, built from the settings (reelhouse/config.py) when a run starts.

Every asset, check, sensor and the run lock reach the warehouse, the sources, Superset and the mail relay through
these, so a test (or another deployment) hands them other values instead of patching globals. The values are read
by `from_settings` when a run (or a sensor evaluation) initialises the resource, not when the code location loads:
a changed setting is seen by the next run, and no value, secret or not, is ever part of Dagster's run config or its
UI (only the resource's description is). `resources()` is what orchestration/definitions.py binds.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Literal

from dagster import ConfigurableResource, ResourceDefinition
from dagster_dbt import DbtCliResource
from pydantic import Field

from ingestion.stripe import RetryPolicy as StripeRetryPolicy
from orchestration.lib.dbt_project import dbt_project
from reelhouse.config import Settings, SmtpSettings, as_role, get_settings
from reelhouse.errors import ReelhouseError
from reelhouse.superset.service import admin_password
from reelhouse.warehouse import admin_url, app_db_url
from semantic.superset import SupersetClient

Role = Literal["loader", "transformer", "analyst"]


class Warehouse(ConfigurableResource):
    """The warehouse as each project role: loader (writes raw and ops), transformer (builds, checks, publishes),
    analyst (reads the marts). From WAREHOUSE_URL (or the embedded server) and the roles' passwords."""

    loader_url: str = Field(repr=False, description="the warehouse as the loader role")
    transformer_url: str = Field(repr=False, description="the warehouse as the transformer role")
    analyst_url: str = Field(repr=False, description="the warehouse as the analyst role")

    @classmethod
    def from_settings(cls, settings: Settings) -> Warehouse:
        owner = admin_url(settings=settings)  # starts the embedded server when that is the warehouse
        urls = {f"{role}_url": as_role(owner, role, settings.role_passwords[role])
                for role in ("loader", "transformer", "analyst")}
        return cls(**urls)

    def url(self, role: Role) -> str:
        return {"loader": self.loader_url, "transformer": self.transformer_url, "analyst": self.analyst_url}[role]


class AppDatabase(ConfigurableResource):
    """The operational app database (APP_DB_URL, or the demo database beside the warehouse)."""

    url: str = Field(repr=False, description="the app database, read only")
    late_row_window_hours: float = Field(description="how far back an incremental load re-checks rows committed "
                                                     "late (APP_LATE_ROW_WINDOW_HOURS)")

    @classmethod
    def from_settings(cls, settings: Settings) -> AppDatabase:
        return cls(url=app_db_url(settings), late_row_window_hours=settings.app_late_row_window.total_seconds() / 3600)

    @property
    def late_window(self) -> timedelta:
        return timedelta(hours=self.late_row_window_hours)


class StripeApi(ConfigurableResource):
    """Stripe's API (STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_RETRY_BUDGET_SECONDS)."""

    api_key: str = Field(repr=False, description="secret or restricted key")
    api_base: str = Field(description="https://api.stripe.com, or a local Stripe-compatible server")
    retry_budget_seconds: float = Field(description="how long one request may keep retrying")

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeApi:
        return cls(api_key=settings.stripe_api_key, api_base=settings.stripe_api_base,
                   retry_budget_seconds=settings.stripe_retry_budget_seconds)

    def retry_policy(self) -> StripeRetryPolicy:
        return StripeRetryPolicy(budget_seconds=self.retry_budget_seconds)


class Superset(ConfigurableResource):
    """Superset's API as its admin (SUPERSET_URL, SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD or the demo's own)."""

    url: str
    admin_user: str
    admin_password: str | None = Field(default=None, repr=False,
                                       description="None: not set outside demo mode (publishing is skipped)")
    missing_password: str = Field(default="", description="why there is no admin password, if there is none")

    @classmethod
    def from_settings(cls, settings: Settings) -> Superset:
        try:
            password, missing = admin_password(settings), ""
        except ReelhouseError as exc:  # no password outside demo mode: only publishing to Superset needs one
            password, missing = None, str(exc)
        return cls(url=settings.superset.url, admin_user=settings.superset.admin_user, admin_password=password,
                   missing_password=missing)

    def client(self) -> SupersetClient:
        """A logged-in admin session; ReelhouseError (one line) when Superset is unreachable or refuses it."""
        if self.admin_password is None:
            raise ReelhouseError(self.missing_password)
        return SupersetClient(self.url, self.admin_user, self.admin_password)


class Mail(ConfigurableResource):
    """The SMTP relay alerts and reports go through (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_SECURITY,
    REPORT_SENDER)."""

    host: str
    port: int
    user: str | None = None
    password: str | None = Field(default=None, repr=False)
    security: Literal["none", "starttls", "ssl"] = "none"
    sender: str
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Mail:
        smtp = settings.smtp
        return cls(host=smtp.host, port=smtp.port, user=smtp.user, password=smtp.password, security=smtp.security,
                   sender=smtp.sender, timeout_seconds=smtp.timeout_seconds)

    def smtp(self) -> SmtpSettings:
        return SmtpSettings(host=self.host, port=self.port, user=self.user, password=self.password,
                            security=self.security, sender=self.sender, timeout_seconds=self.timeout_seconds)


class FailureAlerts(ConfigurableResource):
    """Who hears of a run that has finally failed (ALERT_RECIPIENTS), and through which relay."""

    recipients: list[str]
    mail: Mail

    @classmethod
    def from_settings(cls, settings: Settings) -> FailureAlerts:
        return cls(recipients=list(settings.alert_recipients), mail=Mail.from_settings(settings))


class WeeklyReports(ConfigurableResource):
    """Who gets the weekly report (REPORT_RECIPIENTS: the platform report; REPORT_CREATOR_RECIPIENTS: each creator's
    own), the Superset address its links point to, and the relay."""

    platform_recipients: list[str]
    creator_recipients: dict[str, list[str]] = Field(description="creator id -> addresses")
    superset_url: str
    mail: Mail

    @classmethod
    def from_settings(cls, settings: Settings) -> WeeklyReports:
        return cls(platform_recipients=list(settings.report_recipients),
                   creator_recipients={str(creator): list(addresses)
                                       for creator, addresses in settings.creator_report_recipients.items()},
                   superset_url=settings.superset.url, mail=Mail.from_settings(settings))

    def creators(self) -> dict[int, tuple[str, ...]]:
        return {int(creator): tuple(addresses) for creator, addresses in self.creator_recipients.items()}


# Every resource the definitions use, by the key assets, checks and sensors name it.
FROM_SETTINGS: dict[str, type[ConfigurableResource]] = {
    "warehouse": Warehouse,
    "app_database": AppDatabase,
    "stripe_api": StripeApi,
    "superset": Superset,
    "failure_alerts": FailureAlerts,
    "weekly_reports": WeeklyReports,
}


def resources_from_settings(settings: Settings) -> dict[str, ConfigurableResource]:
    """Every settings-built resource, for these settings (what a run starting now gets)."""
    return {key: resource.from_settings(settings) for key, resource in FROM_SETTINGS.items()}


def _built_when_a_run_starts(resource: type[ConfigurableResource]) -> ResourceDefinition:
    return ResourceDefinition(resource_fn=lambda _: resource.from_settings(get_settings()),
                              description=f"{resource.__name__}: {' '.join((resource.__doc__ or '').split())}")


def _dbt_executable() -> str:
    """The dbt installed next to this Python (the project's virtualenv), even when it is not on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def resources() -> dict[str, object]:
    """What the code location binds: dagster-dbt's CLI resource for the project (its connection comes from the
    warehouse resource, see orchestration/defs/transform/assets.py) and every resource above, built per run."""
    return {
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable()),
        **{key: _built_when_a_run_starts(resource) for key, resource in FROM_SETTINGS.items()},
    }
