"""All configuration, read from the environment in one place (documented in README.md).

Nothing else in the project reads os.environ for settings: it asks `get_settings()`.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url

from reelhouse.errors import ReelhouseError

WAREHOUSE_DB = "reelhouse"
APP_DB = "app"
STRIPE_DEMO_DB = "stripe_demo"
ROLE_NAMES = ("loader", "transformer", "analyst")
DEFAULT_STRIPE_DEMO_KEY = "sk_test_reelhouse_demo"
_CHECKOUT = Path(__file__).resolve().parents[1]


def _default_home() -> Path:
    """The checkout's `.reelhouse` when running from one (the same state from any folder: `reelhouse dbt` run
    inside dbt_project/ once started a second warehouse and failed on the taken port), else `./.reelhouse`."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "dbt_project").is_dir():
        return _CHECKOUT / ".reelhouse"
    return Path(".reelhouse")


@dataclass(frozen=True)
class SmtpSettings:
    """Outgoing mail (alerts and the weekly report). security: none, starttls or ssl."""

    host: str = "127.0.0.1"
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "none"
    sender: str = "Reelhouse <reports@reelhouse.local>"
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class SupersetSettings:
    """Apache Superset, run from its own virtualenv. Secrets None = generate and keep them (demo mode only)."""

    venv: Path
    url: str = "http://localhost:8088"
    admin_user: str = "admin"
    admin_password: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    metadata_url: str | None = field(default=None, repr=False)  # None: a `superset` database beside the warehouse
    cache_redis_url: str | None = None  # None: a file cache in the state folder

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)


@dataclass(frozen=True)
class Settings:
    """Resolved settings. URLs are None when the embedded server provides them."""

    home: Path
    warehouse_url: str | None
    app_db_url: str | None
    embedded_port: int
    stripe_api_key: str
    stripe_api_base: str
    stripe_server_port: int
    role_passwords: dict[str, str] = field(repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    smtp: SmtpSettings = field(repr=False, default_factory=lambda: SmtpSettings())
    alert_recipients: tuple[str, ...] = ()
    # Freezes "now" for the marts (24h/7d/30d windows, inactivity) at an ISO timestamp: demos and
    # tests replay a world that ended in the past. None: the wall clock.
    reporting_as_of: str | None = None
    # The weekly report: admins get the platform report; each creator id maps to the addresses that get
    # that creator's report (their own students only).
    report_recipients: tuple[str, ...] = ()
    creator_report_recipients: dict[int, tuple[str, ...]] = field(default_factory=dict)
    superset: SupersetSettings = field(repr=False, default_factory=lambda: SupersetSettings(venv=Path("superset-venv")))
    # How far back each incremental app load re-checks (key, updated_at) against raw for rows committed after
    # the overlap window had passed them (ingestion/app_db/loader.py). Zero turns the check off.
    app_late_row_window: timedelta = timedelta(hours=24)

    @property
    def embedded(self) -> bool:
        """True when no WAREHOUSE_URL is set and the embedded PostgreSQL is used."""
        return self.warehouse_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"


def stored_secret(home: Path, name: str) -> str:
    """A generated secret kept (0600) in the state folder: made on first use, the same ever after."""
    stored_path = home / "credentials.json"
    stored: dict[str, str] = json.loads(stored_path.read_text()) if stored_path.exists() else {}
    if name not in stored:
        home.mkdir(parents=True, exist_ok=True)
        stored[name] = secrets.token_urlsafe(18)
        stored_path.write_text(json.dumps(stored))
        stored_path.chmod(0o600)
    return stored[name]


def _role_passwords(home: Path) -> dict[str, str]:
    """Role passwords: the environment wins, else generated once and kept in the state folder."""
    return {
        role: os.environ.get(f"WAREHOUSE_{role.upper()}_PASSWORD") or stored_secret(home, role)
        for role in ("postgres", *ROLE_NAMES)
    }


@cache
def get_settings() -> Settings:
    home = Path(os.environ.get("REELHOUSE_HOME") or _default_home()).expanduser().resolve()
    stripe_port = int(os.environ.get("STRIPE_SERVER_PORT", "12111"))
    return Settings(
        home=home,
        warehouse_url=os.environ.get("WAREHOUSE_URL") or None,
        app_db_url=os.environ.get("APP_DB_URL") or None,
        embedded_port=int(os.environ.get("REELHOUSE_PG_PORT", "54329")),
        stripe_api_key=os.environ.get("STRIPE_API_KEY", DEFAULT_STRIPE_DEMO_KEY),
        stripe_api_base=os.environ.get("STRIPE_API_BASE", f"http://127.0.0.1:{stripe_port}"),
        stripe_server_port=stripe_port,
        stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
        role_passwords=_role_passwords(home),
        smtp=_smtp_settings(),
        alert_recipients=tuple(
            address.strip() for address in os.environ.get("ALERT_RECIPIENTS", "").split(",") if address.strip()
        ),
        reporting_as_of=_reporting_as_of(),
        report_recipients=_addresses(os.environ.get("REPORT_RECIPIENTS", "")),
        creator_report_recipients=_creator_recipients(os.environ.get("REPORT_CREATOR_RECIPIENTS", "")),
        superset=_superset_settings(home),
        app_late_row_window=_late_row_window(os.environ.get("APP_LATE_ROW_WINDOW_HOURS", "24")),
    )


def _late_row_window(value: str) -> timedelta:
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= 24 * 366:
        raise ReelhouseError(f"APP_LATE_ROW_WINDOW_HOURS must be a number of hours from 0 to 8784, not {value!r}")
    return timedelta(hours=hours)


def _superset_settings(home: Path) -> SupersetSettings:
    return SupersetSettings(
        venv=Path(os.environ.get("SUPERSET_VENV") or home / "superset" / "venv").expanduser().resolve(),
        url=os.environ.get("SUPERSET_URL", "http://localhost:8088").rstrip("/"),
        admin_user=os.environ.get("SUPERSET_ADMIN_USER", "admin"),
        admin_password=os.environ.get("SUPERSET_ADMIN_PASSWORD") or None,
        secret_key=os.environ.get("SUPERSET_SECRET_KEY") or None,
        metadata_url=os.environ.get("SUPERSET_METADATA_URL") or None,
        cache_redis_url=os.environ.get("SUPERSET_CACHE_REDIS_URL") or None,
    )


def _addresses(value: str) -> tuple[str, ...]:
    addresses = tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
    bad = [address for address in addresses if "@" not in address]
    if bad:
        raise ReelhouseError(f"not an email address in the report recipients: {bad[0]!r}")
    return addresses


def _creator_recipients(value: str) -> dict[int, tuple[str, ...]]:
    """`12=ana@school.org;li@school.org,13=bo@academy.io`: creator id = that creator's report recipients."""
    mapping: dict[int, tuple[str, ...]] = {}
    for entry in (part.strip() for part in value.split(",") if part.strip()):
        creator, _, addresses = entry.partition("=")
        if not creator.strip().isdigit() or not addresses:
            raise ReelhouseError(
                f"REPORT_CREATOR_RECIPIENTS entries look like 12=ana@school.org;li@school.org, not {entry!r}")
        mapping[int(creator)] = mapping.get(int(creator), ()) + _addresses(addresses)
    return mapping


def _reporting_as_of() -> str | None:
    value = os.environ.get("REELHOUSE_AS_OF") or None
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ReelhouseError(
            f"REELHOUSE_AS_OF must be an ISO timestamp like 2026-11-16T12:00:00Z, not {value!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _smtp_settings() -> SmtpSettings:
    security = os.environ.get("SMTP_SECURITY", "none").lower()
    if security not in ("none", "starttls", "ssl"):
        raise ReelhouseError(f"SMTP_SECURITY must be none, starttls or ssl, not {security!r}")
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
    return SmtpSettings(
        host=os.environ.get("SMTP_HOST", "127.0.0.1"),
        port=int(os.environ.get("SMTP_PORT", default_port)),
        user=os.environ.get("SMTP_USER") or None,
        password=os.environ.get("SMTP_PASSWORD") or None,
        security=security,
        sender=os.environ.get("REPORT_SENDER", SmtpSettings.sender),
    )


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def as_role(url: str, role: str, password: str) -> str:
    """The same server and database, connecting as another role."""
    return make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


def redact(url: str | URL) -> str:
    """A URL that is safe to print: the password masked."""
    return make_url(str(url) if isinstance(url, URL) else url).render_as_string(hide_password=True)
