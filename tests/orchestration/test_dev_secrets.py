"""No secret on a command line: `reelhouse dev` starts Dagster's webserver, daemon and code servers, and Dagster hands
each its instance on the command line, which any local user can read (`ps`, /proc/<pid>/cmdline). The instance's
storage URL (the warehouse owner's password in it) travels in DAGSTER_PG_URL instead, as in production, and is
written into no file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
import yaml

from reelhouse.warehouse.embedded import free_port


def processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, its arguments joined by spaces)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            arguments = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            found[int(entry.name)] = (parent, arguments)
    return found


def descendants(root: int, table: dict[int, tuple[int, str]]) -> dict[int, str]:
    family, grew = {root}, True
    while grew:
        more = {pid for pid, (parent, _) in table.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return {pid: table[pid][1] for pid in family if pid in table}


def answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=3) as response:  # noqa: S310 - a local URL we built
            return response.status == 200
    except OSError:
        return False


@pytest.mark.timeout(600)
def test_reelhouse_dev_puts_no_credential_on_any_command_line_nor_in_dagster_yaml(warehouse, tmp_path):
    secrets = {f"{role} password": password for role, password in warehouse.role_passwords.items()}
    home, port = tmp_path / "dagster", free_port()
    log = (tmp_path / "dev.log").open("w")
    dev = subprocess.Popen([sys.executable, "-m", "reelhouse", "dev", "--port", str(port)], stdout=log,
                           stderr=subprocess.STDOUT, env={**os.environ, "DAGSTER_HOME": str(home)},
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 420
        family: dict[int, str] = {}
        while time.monotonic() < deadline:
            assert dev.poll() is None, (tmp_path / "dev.log").read_text()[-3000:]
            family = descendants(dev.pid, processes())
            started = " ".join(family.values())
            if answers(f"http://127.0.0.1:{port}/server_info") and "_daemon run" in started \
                    and "api grpc" in started:
                break
            time.sleep(2)
        else:
            pytest.fail(f"dagster dev did not come up: {(tmp_path / 'dev.log').read_text()[-3000:]}")
        assert len(family) >= 4, family  # reelhouse dev, dagster dev, the webserver, the daemon, code servers
        assert any("--instance-ref" in arguments for arguments in family.values()), family  # where it used to be
        leaks = [f"the {label} is on the command line of pid {pid}: {arguments[:200]}"
                 for pid, (_, arguments) in processes().items() for label, value in secrets.items()
                 if value in arguments]
        assert leaks == []
        written = (home / "dagster.yaml").read_text()
        assert not [label for label, value in secrets.items() if value in written], written
        assert yaml.safe_load(written)["storage"]["custom"]["config"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    finally:
        stop_group(dev)
        log.close()


def stop_group(process: subprocess.Popen) -> None:
    """Ctrl-C to `reelhouse dev` and everything it started (its own process group); killed if still there later."""
    for sent in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            process.poll()  # reaps it once it exits
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(1)
