"""Apache Superset as a local service: its own virtualenv, metadata database, admin user and process.

Superset 6.1 pins SQLAlchemy 1.4 and pandas 2.1, so it cannot share Reelhouse's environment: everything
here drives its command-line tools and gunicorn from `settings.superset.venv` as subprocesses.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from psycopg import sql
from sqlalchemy.engine import make_url

from reelhouse.config import Settings, get_settings, stored_secret
from reelhouse.errors import ReelhouseError
from reelhouse.processes import process_is_alive
from reelhouse.warehouse import admin_url, connect
from reelhouse.warehouse.bootstrap import close_to_public, ensure_login_role

SUPERSET_VERSION = "6.1.0"
# As published, 6.1.0 also needs rich and flask-caching 2.3.1 to start and cachetools to import assets;
# psycopg2 is its PostgreSQL driver.
REQUIREMENTS = (f"apache-superset=={SUPERSET_VERSION}", "rich", "flask-caching==2.3.1", "cachetools", "psycopg2-binary")
# The tested install of Superset's virtualenv, every package pinned (pip constraints; `make lock` rewrites it).
LOCK_FILE = Path(__file__).resolve().parents[2] / "constraints" / "superset.txt"
CONFIG_FILE = Path(__file__).with_name("superset_config.py")
METADATA_DB = "superset"
METADATA_ROLE = "superset"
START_TIMEOUT_SECONDS = 180

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    """The default progress sink: say nothing."""


def state_dir(settings: Settings) -> Path:
    return settings.home / "superset"


def _pid_file(settings: Settings) -> Path:
    return state_dir(settings) / "gunicorn.pid"


def log_file(settings: Settings) -> Path:
    return state_dir(settings) / "superset.log"


def _bin(settings: Settings, name: str) -> Path:
    return settings.superset.venv / "bin" / name


def _install_stamp() -> str:
    """What an install was made from: the requirements and the lock (a changed lock means a reinstall)."""
    lock = LOCK_FILE.read_text() if LOCK_FILE.exists() else ""
    return "\n".join(REQUIREMENTS) + "\n# lock " + hashlib.sha256(lock.encode()).hexdigest()


def is_installed(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    stamp = settings.superset.venv / ".reelhouse-installed"
    return stamp.exists() and stamp.read_text() == _install_stamp()


def install(settings: Settings | None = None, say: Say = _quiet) -> Path:
    """Create Superset's virtualenv and install the pinned release; a no-op when it is already there."""
    settings = settings or get_settings()
    venv = settings.superset.venv
    if is_installed(settings):
        say(f"Superset {SUPERSET_VERSION} already installed in {venv}")
        return venv
    say(f"creating Superset's virtualenv in {venv}")
    base_python = getattr(sys, "_base_executable", sys.executable)
    _run([base_python, "-m", "venv", str(venv)], "creating Superset's virtualenv")
    say(f"installing {', '.join(REQUIREMENTS)} (about 2 minutes)")
    constraints = ["-c", str(LOCK_FILE)] if LOCK_FILE.exists() else []
    _run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *constraints, *REQUIREMENTS],
         "installing Superset", timeout=1800)
    (venv / ".reelhouse-installed").write_text(_install_stamp())
    return venv


def _run(args: list[str], what: str, *, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run a command; on failure, a one-line error with the tail of its output (never a traceback)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ReelhouseError(f"{what} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise ReelhouseError(f"{what} failed (exit {done.returncode}): {tail}")
    return done.stdout


def demo_mode(settings: Settings) -> bool:
    """Demo mode = the embedded warehouse: secrets may be generated. Production must provide them."""
    return settings.embedded


def _demo_or_required(settings: Settings, configured: str | None, stored_name: str, requirement: str) -> str:
    """A configured secret; in demo mode one generated and kept in the state folder; else a clear error."""
    if configured:
        return configured
    if not demo_mode(settings):
        raise ReelhouseError(requirement)
    return stored_secret(settings.home, stored_name)


def admin_password(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return _demo_or_required(settings, settings.superset.admin_password, "superset_admin",
                             "set SUPERSET_ADMIN_PASSWORD: Superset has no default admin password outside demo mode")


def _secret_key(settings: Settings) -> str:
    return _demo_or_required(settings, settings.superset.secret_key, "superset_secret_key",
                             "set SUPERSET_SECRET_KEY (e.g. `openssl rand -base64 42`) outside demo mode")


def _metadata_url(settings: Settings) -> str:
    """Superset's own database (users, dashboards): SUPERSET_METADATA_URL, else one beside the warehouse."""
    if settings.superset.metadata_url:
        return psycopg2_url(settings.superset.metadata_url)
    password = stored_secret(settings.home, "superset_metadata")
    with connect(admin_url("postgres", settings), autocommit=True) as conn:
        ensure_login_role(conn, METADATA_ROLE, password, "LOGIN")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (METADATA_DB,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(METADATA_DB), sql.Identifier(METADATA_ROLE)))
        close_to_public(conn, METADATA_DB)  # its owner still connects; nobody else
    url = make_url(admin_url(METADATA_DB, settings)).set(username=METADATA_ROLE, password=password)
    return psycopg2_url(url.render_as_string(hide_password=False))


def psycopg2_url(url: str) -> str:
    """Superset's SQLAlchemy 1.4 speaks PostgreSQL through psycopg2, not psycopg 3."""
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def superset_env(settings: Settings) -> dict[str, str]:
    """The environment Superset's tools and server run with (read by superset_config.py)."""
    cache_dir = state_dir(settings) / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(CONFIG_FILE),
        "FLASK_APP": "superset",
        "REELHOUSE_SUPERSET_SECRET_KEY": _secret_key(settings),
        "REELHOUSE_SUPERSET_METADATA_URL": _metadata_url(settings),
        "REELHOUSE_SUPERSET_CACHE_DIR": str(cache_dir),
        "PYTHONWARNINGS": "ignore",
    }
    if settings.superset.cache_redis_url:
        env["REELHOUSE_SUPERSET_CACHE_REDIS_URL"] = settings.superset.cache_redis_url
    return env


def running_pid(settings: Settings | None = None) -> int | None:
    """The server's pid when our gunicorn is alive."""
    settings = settings or get_settings()
    try:
        pid = int(_pid_file(settings).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if process_is_alive(pid) else None


def is_healthy(url: str, timeout: float = 3) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=timeout).text.strip() == "OK"
    except requests.RequestException:
        return False


def initialise(settings: Settings, env: dict[str, str], say: Say = _quiet) -> None:
    """Metadata schema, the admin user and the built-in roles; every step is idempotent."""
    superset = str(_bin(settings, "superset"))
    say("upgrading Superset's metadata database")
    _run([superset, "db", "upgrade"], "superset db upgrade", env=env, timeout=900)
    password = admin_password(settings)
    user = settings.superset.admin_user
    say(f"making sure the admin user {user!r} exists")
    _run([superset, "fab", "create-admin", "--username", user, "--firstname", "Reelhouse", "--lastname", "Admin",
          "--email", f"{user}@reelhouse.local", "--password", password], "creating the Superset admin", env=env)
    _run([superset, "fab", "reset-password", "--username", user, "--password", password],
         "setting the Superset admin password", env=env)
    say("initialising Superset's roles and permissions")
    _run([superset, "init"], "superset init", env=env, timeout=900)


def start(settings: Settings | None = None, say: Say = _quiet) -> str:
    """Initialise and start Superset (gunicorn, in the background); returns its URL once healthy."""
    settings = settings or get_settings()
    url = settings.superset.url
    if running_pid(settings) and is_healthy(url):
        say(f"Superset already running at {url}")
        return url
    if not is_installed(settings):
        raise ReelhouseError("Superset is not installed: run `reelhouse superset install` first")
    env = superset_env(settings)
    initialise(settings, env, say)
    say(f"starting Superset on port {settings.superset.port}")
    log = log_file(settings)
    _run([str(_bin(settings, "gunicorn")), "--daemon", "--pid", str(_pid_file(settings)),
          "--bind", f"127.0.0.1:{settings.superset.port}", "--workers", "2", "--threads", "4",
          "--worker-class", "gthread", "--timeout", "120", "--limit-request-line", "0",
          "--access-logfile", str(log), "--error-logfile", str(log), "--capture-output", "superset.app:create_app()"],
         "starting Superset", env=env)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if is_healthy(url):
            return url
        time.sleep(1)
    tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-5:]) if log.exists() else ""
    raise ReelhouseError(f"Superset did not become healthy at {url} within {START_TIMEOUT_SECONDS} s: {tail}")


def stop(settings: Settings | None = None) -> bool:
    """Stop our Superset server; True when one was running."""
    settings = settings or get_settings()
    pid = running_pid(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not process_is_alive(pid):
            break
        time.sleep(0.3)
    else:
        os.kill(pid, signal.SIGKILL)
    _pid_file(settings).unlink(missing_ok=True)
    return True
