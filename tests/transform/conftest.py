"""Running the real dbt project against a scratch warehouse, as the transformer role."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.dbt_project import DBT_PROJECT_DIR
from reelhouse.warehouse import dbt_env


@pytest.fixture()
def run_dbt(tmp_path):
    """Factory: `run_dbt(url, as_of, *args)` runs dbt like `reelhouse dbt` does, failing the test on error;
    `env` adds variables, and `check=False` returns the output of a run whose tests failed too."""
    dbt = Path(sys.executable).with_name("dbt")

    def run(transformer_url: str, as_of: str, *args: str, env: dict[str, str] | None = None,
            check: bool = True) -> str:
        done = subprocess.run(
            [str(dbt), *args, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
            cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=900,
            env={**os.environ, **dbt_env(url=transformer_url, as_of=as_of), **(env or {})},
        )
        finished = done.returncode == 0 or (not check and "Completed with" in done.stdout)
        assert finished, done.stdout[-6000:] + done.stderr[-2000:]
        return done.stdout

    return run


@pytest.fixture(scope="session")
def manifest(tmp_path_factory) -> dict:
    """The project as the pipeline builds it (`dbt parse`, prod target; no warehouse needed), parsed once."""
    target = tmp_path_factory.mktemp("prod-manifest")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--no-partial-parse",
         "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=600,
        env={**os.environ, "REELHOUSE_DBT_TARGET": "prod"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return json.loads((target / "manifest.json").read_text())
