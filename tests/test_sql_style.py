"""The dbt models are sqlfluff clean (dbt templater, PostgreSQL dialect, rules in dbt_project/.sqlfluff).

The templater renders `is_incremental()` from whether the model's table exists, so the incremental branches are
linted only when it does. The test lints a private warehouse twice: empty (first-build branches), then with an
empty placeholder table for every incremental model, its versioned table in `marts_store` with the model's declared
columns (a model reading back a column of its own, macro incremental_with_columns, takes its incremental branch only
when the table has it), and a last build of each in the build log (incremental branches), whatever the other tests
built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from psycopg import sql

from reelhouse.warehouse import connect, dbt_env
from reelhouse.warehouse.marts import BUILD_LOG_TABLE, STORE_SCHEMA

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
BIN = Path(sys.executable).parent


def _lint(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "models", "--format", "github-annotation-native", "--nocolor"],
        cwd=DBT_PROJECT, capture_output=True, text=True, timeout=900, env=env,
    )


def _incremental_models(env: dict[str, str], target: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(schema, table, {column: declared data_type or text}) of every incremental model."""
    done = subprocess.run(
        [str(BIN / "dbt"), "ls", "--resource-type", "model", "--select", "config.materialized:incremental",
         "--output", "json", "--output-keys", "name config columns", "--quiet", "--target-path", str(target)],
        cwd=DBT_PROJECT, capture_output=True, text=True, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    nodes = map(json.loads, done.stdout.splitlines())
    return [(node["config"]["schema"], node["config"]["alias"] or node["name"],
             {name: column.get("data_type") or "text" for name, column in node["columns"].items()})
            for node in nodes]


def test_dbt_models_pass_sqlfluff_in_both_branches(scratch_warehouse, tmp_path):
    """The dbt templater compiles the project, which needs the warehouse; hence a test, not a Make step."""
    urls = scratch_warehouse("sqlfluff_lint")
    env = {**os.environ, **dbt_env(url=urls["transformer"])}

    first_build = _lint(env)
    assert first_build.returncode == 0, (
        "first-build branches:\n" + first_build.stdout[-4000:] + first_build.stderr[-2000:])

    incremental = _incremental_models(env, tmp_path / "target")
    assert len(incremental) >= 6, incremental  # the row facts and the engagement fact, at least
    with connect(urls["transformer"], autocommit=True) as conn:
        for schema, name, columns in incremental:
            conn.execute(sql.SQL("CREATE TABLE {} ()").format(sql.Identifier(schema, name)))
            # its rows' versioned table (dbt_project/macros/materializations/incremental.sql): is_incremental()
            declared = [sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(data_type))
                        for column, data_type in {**columns, "retired_at": "timestamptz"}.items()]
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(STORE_SCHEMA, name),
                                                               sql.SQL(", ").join(declared)))
        # ... and a last build of each (macro versions_since_last_build: the branch counting what changed since)
        log = sql.Identifier(STORE_SCHEMA, BUILD_LOG_TABLE)
        conn.execute(sql.SQL("CREATE TABLE {} (model text PRIMARY KEY, started_at timestamptz, stamp timestamptz)")
                     .format(log))
        for _, name, _ in incremental:
            conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, now(), now())").format(log), (name,))

    incremental_build = _lint(env)
    assert incremental_build.returncode == 0, (
        "incremental branches:\n" + incremental_build.stdout[-4000:] + incremental_build.stderr[-2000:])
