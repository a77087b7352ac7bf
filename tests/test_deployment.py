"""docker-compose.yml describes the production topology; no Docker engine runs here, so validate it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def _env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's own variable rules: ${VAR}, ${VAR:-default}, ${VAR:?error}."""

    def value(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise AssertionError(f"{name} is required by docker-compose.yml but missing from .env.example")
        return argument or ""

    return VARIABLE.sub(value, text)


def test_every_required_variable_is_documented_in_env_example():
    required = {m.group(1) for m in VARIABLE.finditer((ROOT / "docker-compose.yml").read_text()) if m.group(2) == ":?"}
    assert required, "the topology should require its secrets from the environment"
    assert required <= set(_env_example())


def test_compose_file_is_valid():
    docker = shutil.which("docker")
    has_compose = docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    if has_compose:
        done = subprocess.run(
            [docker, "compose", "--env-file", ".env.example", "config", "-q"], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return
    from compose_spec import PyCompose

    compose = PyCompose.from_yaml(_interpolate((ROOT / "docker-compose.yml").read_text(), _env_example()))
    compose.validate()
    assert {"warehouse", "dagster-webserver", "dagster-daemon", "dagster-code", "superset", "redis"} <= set(
        compose.service_names()
    )


def test_validator_rejects_a_broken_file():
    """The fallback validator must be able to fail, or the test above proves nothing."""
    from compose_spec import PyCompose

    broken = _interpolate((ROOT / "docker-compose.yml").read_text(), _env_example()).replace(
        "restart: unless-stopped", "restart: sometimes", 1
    )
    with pytest.raises(ValueError):
        PyCompose.from_yaml(broken).validate()
