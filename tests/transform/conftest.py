"""Running the real dbt project against a scratch warehouse, as the transformer role."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo.stripe_world.background import running_stripe_server
from ingestion.app_db import load_app_tables
from ingestion.costs import load_costs
from ingestion.stripe import load_stripe
from orchestration.dbt_project import DBT_PROJECT_DIR
from reelhouse.config import get_settings
from reelhouse.warehouse import app_db_url, dbt_env, role_url


@pytest.fixture()
def run_dbt(tmp_path):
    """Factory: `run_dbt(url, as_of, *args)` runs dbt like `reelhouse dbt` does, failing the test on error."""
    dbt = Path(sys.executable).with_name("dbt")

    def run(transformer_url: str, as_of: str, *args: str) -> str:
        done = subprocess.run(
            [str(dbt), *args, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
            cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=900,
            env={**os.environ, **dbt_env(url=transformer_url, as_of=as_of)},
        )
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        return done.stdout

    return run


@pytest.fixture(scope="session")
def built_marts(demo_world, tmp_path_factory) -> Path:
    """Load every source of the demo world, `dbt build` and `dbt docs generate`; returns the target dir."""
    loader = role_url("loader")
    load_costs(loader)
    load_app_tables(app_db_url(), loader)
    with running_stripe_server(demo_world["stripe_url"]) as server:
        load_stripe(get_settings().stripe_api_key, server.base_url, loader)
    target = tmp_path_factory.mktemp("dbt-target")
    dbt = Path(sys.executable).with_name("dbt")
    for args in (["build"], ["docs", "generate"]):
        done = subprocess.run([str(dbt), *args, "--target-path", str(target), "--log-path", str(target)],
                              cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=1200,
                              env={**os.environ, **dbt_env()})
        assert done.returncode == 0, done.stdout[-6000:]
    return target
