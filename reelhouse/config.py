"""All configuration, read from the environment in one place (documented in README.md).

Nothing else in the project reads os.environ for settings: it asks `get_settings()`. Every setting is checked
when the settings load, all at once: a value that cannot work raises ConfigError, one line naming each bad
variable, its value (secrets and URL passwords masked) and what is expected, before a command does anything.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from reelhouse.errors import ConfigError, ReelhouseError

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
    # How long one Stripe request may keep retrying 429s, 5xx and network errors (waits included) before its
    # resource fails (ingestion/stripe/client.py).
    stripe_retry_budget_seconds: float = 600.0
    # A Stripe first load or full resync lists each resource in `created` slices with this many concurrent listers,
    # all under one token bucket of this many requests a second (ingestion/stripe/slices.py). Stripe's documented
    # defaults: 100 requests/s per account in live mode (25 in a sandbox) and 25/s per endpoint; the listers of one
    # resource share one endpoint (GET /v1/<resource>), so 20 keeps under it and leaves the account room.
    stripe_listers: int = 4
    stripe_requests_per_second: float = 20.0
    # dbt's threads: the models and tests it runs at once (dbt_project/profiles.yml reads it through dbt_env).
    dbt_threads: int = 2
    # The local Dagster instance's folder (orchestration/lib/instance.py); None: `dagster` in the state folder.
    dagster_home: Path | None = None
    # The schedules' crons (UTC), checked here like every setting.
    hourly_refresh_cron: str = "0 * * * *"
    weekly_report_cron: str = "0 8 * * 1"

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
    try:
        stored: dict[str, str] = json.loads(stored_path.read_text()) if stored_path.exists() else {}
        if name not in stored:
            home.mkdir(parents=True, exist_ok=True)
            stored[name] = secrets.token_urlsafe(18)
            stored_path.write_text(json.dumps(stored))
            stored_path.chmod(0o600)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"not JSON ({exc})"
        raise ReelhouseError(f"cannot keep generated credentials in {stored_path}: {reason}") from None
    return stored[name]


# What the environment holds, for the messages: secrets never appear, URLs without their password.
SECRET_VARIABLES = frozenset({
    "WAREHOUSE_LOADER_PASSWORD", "WAREHOUSE_TRANSFORMER_PASSWORD", "WAREHOUSE_ANALYST_PASSWORD",
    "WAREHOUSE_POSTGRES_PASSWORD", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "SMTP_PASSWORD",
    "SUPERSET_ADMIN_PASSWORD", "SUPERSET_SECRET_KEY",
})
_KEY_PREFIX = re.compile(r"(sk|rk|pk|whsec)_((test|live)_)?")
_HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
POSTGRES_URL_EXAMPLE = "postgresql://user:password@host:5432/database"


def masked(name: str, value: str) -> str:
    """A value as an error message may show it: a secret as its key prefix (sk_live_, whsec_) and ***, a URL
    with its password as ***."""
    if name in SECRET_VARIABLES:
        prefix = _KEY_PREFIX.match(value)
        return (prefix.group(0) if prefix else "") + "***"
    if not name.endswith("_URL") or "@" not in value:
        return value
    credentials, _, server = value.rpartition("@")  # scheme://user:password@host..., the scheme perhaps forgotten
    scheme, separator, user_info = credentials.rpartition("://")
    user, colon, _ = user_info.partition(":")
    return f"{scheme}{separator}{user}{':***' if colon else ''}@{server}"


class _Environment:
    """Reads and checks settings; each bad value is noted (the getter returns its default) and raised together."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def bad(self, name: str, value: str, expected: str) -> None:
        self.problems.append(f"{name}={masked(name, value)!r}: expected {expected}")

    def text(self, name: str, default: str | None = None) -> str | None:
        """The raw value (empty = unset); a control character is always a mistake (a .env file saved with
        Windows line endings leaves \\r at the end of every value)."""
        value = self.environ.get(name)
        if value is None or value == "":
            return default
        if match := _CONTROL.search(value):
            self.bad(name, value, f"no control characters (found {match.group(0)!r}, e.g. from a .env file "
                                  "with Windows line endings)")
            return default
        return value

    def port(self, name: str, default: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
            self.bad(name, value, "a TCP port number from 1 to 65535")
            return default
        return int(value)

    def integer(self, name: str, default: int, low: int, high: int, unit: str) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not value.strip().isdigit() or not low <= int(value) <= high:
            self.bad(name, value, f"a whole number of {unit} from {low} to {high}")
            return default
        return int(value)

    def number(self, name: str, default: float, low: float, high: float, unit: str) -> float:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not low <= number <= high:
            self.bad(name, value, f"a number of {unit} from {low:g} to {high:g}")
            return default
        return number

    def folder(self, name: str, default: Path, *, create: bool = False, writable: bool = True) -> Path:
        """A folder: created now when `create`; else made later, so it must not be a file and (when `writable`)
        its nearest existing folder must be writable."""
        value = self.text(name)
        path = Path(value or default).expanduser().resolve()
        if value is None and not create:
            return path  # inside another folder checked already (the state folder)
        try:
            if create:
                path.mkdir(parents=True, exist_ok=True)
            existing = next(folder for folder in (path, *path.parents) if folder.exists())
            if not existing.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(existing))
            if writable and not os.access(existing, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied", str(existing))
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename and exc.filename != str(path) else ""
            self.bad(name, value or str(default), f"a folder Reelhouse can create and write ({exc.strerror}{where})")
        return path

    def postgres_url(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            self.bad(name, value, f"a PostgreSQL URL like {POSTGRES_URL_EXAMPLE}")
            return None
        dialect = url.drivername.split("+")[0]
        if dialect not in ("postgresql", "postgres"):
            self.bad(name, value, f"a PostgreSQL URL like {POSTGRES_URL_EXAMPLE} (not {dialect}: Reelhouse runs on "
                                  "PostgreSQL only)")
            return None
        if not url.database or not (url.host or url.query.get("host")):
            self.bad(name, value, f"a PostgreSQL URL with a host and a database, like {POSTGRES_URL_EXAMPLE}")
            return None
        if dialect == "postgres":  # Heroku's spelling; SQLAlchemy knows the dialect as postgresql
            value = url.set(drivername="postgresql" + url.drivername[len("postgres"):]).render_as_string(
                hide_password=False)
        return value

    def any_url(self, name: str, schemes: tuple[str, ...], example: str) -> str | None:
        """A URL whose scheme is one of `schemes` (a prefix: `postgresql` takes `postgresql+psycopg2`), with a host."""
        value = self.text(name)
        if value is None:
            return None
        parts = urlsplit(value)
        scheme = parts.scheme.split("+")[0]
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            scheme = ""
        if scheme not in schemes or not (parts.hostname or scheme in ("sqlite", "unix")):
            self.bad(name, value, f"a URL like {example}")
            return None
        return value

    def secret(self, name: str, prefixes: tuple[str, ...] = (), what: str = "") -> str | None:
        value = self.text(name)
        if value is None:
            return None
        if prefixes and (value != value.strip() or not value.startswith(prefixes)):
            self.bad(name, value, what)
            return None
        return value

    def host(self, name: str, default: str) -> str:
        value = self.text(name, default) or default
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOST_NAME.fullmatch(value):
                self.bad(name, value, "a host name or IP address (no scheme, no port: the port is SMTP_PORT)")
                return default
        return value

    def addresses(self, name: str) -> tuple[str, ...]:
        value = self.text(name, "") or ""
        addresses = tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
        bad = [address for address in addresses if not _is_address(address)]
        if bad:
            self.bad(name, value, f"comma-separated email addresses ({bad[0]!r} is not one)")
            return ()
        return addresses

    def creator_recipients(self, name: str) -> dict[int, tuple[str, ...]]:
        """`12=ana@school.org;li@school.org,13=bo@academy.io`: creator id = that creator's report recipients."""
        value = self.text(name, "") or ""
        mapping: dict[int, tuple[str, ...]] = {}
        for entry in (part.strip() for part in value.split(",") if part.strip()):
            creator, _, listed = entry.partition("=")
            addresses = tuple(part.strip() for part in listed.split(";") if part.strip())
            if not creator.strip().isdigit() or not addresses or not all(map(_is_address, addresses)):
                self.bad(name, value, f"entries like 12=ana@school.org;li@school.org,13=bo@academy.io "
                                      f"({entry!r} is not one)")
                return {}
            mapping[int(creator)] = mapping.get(int(creator), ()) + addresses
        return mapping

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default) or default
        if value.lower() not in choices:
            self.bad(name, value, f"one of {', '.join(choices)}")
            return default
        return value.lower()

    def cron(self, name: str, default: str) -> str:
        value = self.text(name, default) or default
        if not is_cron(value):
            self.bad(name, value, "a cron expression of 5 fields (minute hour day month weekday), e.g. '0 * * * *'")
            return default
        return value

    def timestamp(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.bad(name, value, "an ISO timestamp like 2026-11-16T12:00:00Z")
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()

    def name(self, name: str, default: str) -> str:
        value = self.text(name, default) or default
        if not value.strip() or any(character.isspace() for character in value):
            self.bad(name, value, "a user name without spaces")
            return default
        return value

    def address(self, name: str, default: str) -> str:
        value = self.text(name, default) or default
        if not _is_address(parseaddr(value)[1]):
            self.bad(name, value, "an email address, optionally with a name: Reelhouse <reports@example.com>")
            return default
        return value

    def raise_problems(self) -> None:
        if self.problems:
            raise ConfigError(("invalid setting " if len(self.problems) == 1 else "invalid settings: ")
                              + "; ".join(self.problems))


def _is_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not any(character.isspace() or character in "<>,;" for character in value)


_CRON_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}),
                (1, 12, {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}),
                (0, 7, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}))
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def is_cron(expression: str) -> bool:
    """A standard 5-field cron expression (numbers, names, `*`, ranges, steps, lists) or an @macro."""
    if expression.strip().lower() in _CRON_MACROS:
        return True
    fields = expression.split()
    if len(fields) != 5:
        return False

    def value(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
        number = names.get(text.lower(), int(text) if text.isdigit() else None)
        return number if number is not None and low <= number <= high else None

    for text, (low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.split(","):
            span, _, step = item.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                return False
            if span == "*":
                continue
            first, dash, last = span.partition("-")
            start, end = value(first, low, high, names), value(last, low, high, names) if dash else None
            if start is None or (dash and (end is None or end < start)):
                return False
    return True


@cache
def get_settings() -> Settings:
    """The settings, read and checked once; ConfigError names every setting that cannot work."""
    env = _Environment(dict(os.environ))
    home = env.folder("REELHOUSE_HOME", _default_home(), create=True)
    stripe_port = env.port("STRIPE_SERVER_PORT", 12111)
    stripe_api_base = env.any_url("STRIPE_API_BASE", ("http", "https"), "https://api.stripe.com")
    smtp = _smtp_settings(env)
    passwords = {role: env.secret(f"WAREHOUSE_{role.upper()}_PASSWORD") for role in ("postgres", *ROLE_NAMES)}
    values = dict(
        home=home,
        warehouse_url=env.postgres_url("WAREHOUSE_URL"),
        app_db_url=env.postgres_url("APP_DB_URL"),
        embedded_port=env.port("REELHOUSE_PG_PORT", 54329),
        stripe_api_key=env.secret("STRIPE_API_KEY", ("sk_", "rk_"),
                                  "a Stripe secret key (sk_live_..., sk_test_...) or restricted key (rk_...), not "
                                  "a publishable key") or DEFAULT_STRIPE_DEMO_KEY,
        stripe_api_base=(stripe_api_base or f"http://127.0.0.1:{stripe_port}").rstrip("/"),
        stripe_server_port=stripe_port,
        stripe_webhook_secret=env.secret("STRIPE_WEBHOOK_SECRET", ("whsec_",),
                                         "the webhook endpoint's signing secret (whsec_...)"),
        smtp=smtp,
        alert_recipients=env.addresses("ALERT_RECIPIENTS"),
        reporting_as_of=env.timestamp("REELHOUSE_AS_OF"),
        report_recipients=env.addresses("REPORT_RECIPIENTS"),
        creator_report_recipients=env.creator_recipients("REPORT_CREATOR_RECIPIENTS"),
        superset=_superset_settings(env, home),
        app_late_row_window=timedelta(hours=env.number("APP_LATE_ROW_WINDOW_HOURS", 24, 0, 24 * 366, "hours")),
        stripe_retry_budget_seconds=env.number("STRIPE_RETRY_BUDGET_SECONDS", 600.0, 1, 3600, "seconds"),
        stripe_listers=env.integer("STRIPE_LISTERS", 4, 1, 16, "listers"),
        stripe_requests_per_second=env.number("STRIPE_REQUESTS_PER_SECOND", 20.0, 1, 1000, "requests a second"),
        dbt_threads=env.integer("DBT_THREADS", 2, 1, 32, "threads"),
        dagster_home=env.folder("DAGSTER_HOME", home / "dagster"),
        hourly_refresh_cron=env.cron("HOURLY_REFRESH_CRON", "0 * * * *"),
        weekly_report_cron=env.cron("WEEKLY_REPORT_CRON", "0 8 * * 1"),
    )
    env.raise_problems()
    # Role passwords: the environment wins, else generated once and kept in the (now known good) state folder.
    return Settings(**values, role_passwords={role: password or stored_secret(home, role)
                                              for role, password in passwords.items()})


def _superset_settings(env: _Environment, home: Path) -> SupersetSettings:
    return SupersetSettings(
        venv=env.folder("SUPERSET_VENV", home / "superset" / "venv", writable=False),
        url=(env.any_url("SUPERSET_URL", ("http", "https"), "http://localhost:8088") or "http://localhost:8088"
             ).rstrip("/"),
        admin_user=env.name("SUPERSET_ADMIN_USER", "admin"),
        admin_password=env.secret("SUPERSET_ADMIN_PASSWORD"),
        secret_key=env.secret("SUPERSET_SECRET_KEY"),
        metadata_url=env.any_url("SUPERSET_METADATA_URL", ("postgresql", "postgres", "mysql", "sqlite"),
                                 "postgresql://superset:password@host:5432/superset"),
        cache_redis_url=env.any_url("SUPERSET_CACHE_REDIS_URL", ("redis", "rediss", "unix"), "redis://redis:6379/0"),
    )


def _smtp_settings(env: _Environment) -> SmtpSettings:
    security = env.choice("SMTP_SECURITY", "none", ("none", "starttls", "ssl"))
    return SmtpSettings(
        host=env.host("SMTP_HOST", "127.0.0.1"),
        port=env.port("SMTP_PORT", {"none": 25, "starttls": 587, "ssl": 465}[security]),
        user=env.text("SMTP_USER"),
        password=env.secret("SMTP_PASSWORD"),
        security=security,
        sender=env.address("REPORT_SENDER", SmtpSettings.sender),
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
