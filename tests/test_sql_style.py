"""The dbt models are sqlfluff clean (dbt templater, PostgreSQL dialect, rules in dbt_project/.sqlfluff)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reelhouse.warehouse import dbt_env

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"


def test_dbt_models_pass_sqlfluff(warehouse):
    """The dbt templater compiles the project, which needs the warehouse; hence a test, not a Make step."""
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    done = subprocess.run(
        [str(sqlfluff), "lint", "models", "--format", "github-annotation-native", "--nocolor"],
        cwd=DBT_PROJECT, capture_output=True, text=True, timeout=600, env={**os.environ, **dbt_env()},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
