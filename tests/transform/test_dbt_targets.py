"""Dev and prod schemas: only the prod target writes the schemas readers are published from; any other target
builds beside them, in `<target schema>_<custom>` (dbt_project/macros/generate_schema_name.sql, profiles.yml).

The test reads what dbt would build where: the manifest's schemas per target (`dbt parse`, no warehouse) and the
compiled SQL of a model reading others (`dbt compile`, connected to the test warehouse; nothing is built).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.dbt_project import DBT_PROJECT_DIR
from reelhouse.warehouse import dbt_env

DBT = str(Path(sys.executable).with_name("dbt"))
PUBLISHED_FROM = {"staging", "intermediate", "marts_next"}


def _dbt(tmp_path: Path, env: dict[str, str], *args: str) -> dict:
    """Run dbt with `env` on top of a clean environment; the manifest it wrote."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("REELHOUSE_DBT_")}
    done = subprocess.run([DBT, *args, "--quiet", "--target-path", str(tmp_path), "--log-path", str(tmp_path)],
                          cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=600, env={**clean, **env})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return json.loads((tmp_path / "manifest.json").read_text())


def _model_schemas(manifest: dict) -> set[str]:
    return {node["schema"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def test_prod_builds_the_published_schemas_and_the_pipeline_uses_prod(tmp_path):
    assert dbt_env()["REELHOUSE_DBT_TARGET"] == "prod"  # the pipeline, `reelhouse dbt` and the tests
    manifest = _dbt(tmp_path, {"REELHOUSE_DBT_TARGET": "prod"}, "parse", "--no-partial-parse")
    assert _model_schemas(manifest) == PUBLISHED_FROM


def test_a_dev_target_builds_into_its_own_schemas(warehouse, tmp_path):
    """A developer's target (the default when nothing names one) builds dev_<user>_<schema>: never a schema the
    published marts come from, and a model reads its parents from the dev schemas too."""
    by_default = _dbt(tmp_path / "default", {"USER": "Alice"}, "parse", "--no-partial-parse")
    assert _model_schemas(by_default) == {"dev_alice_staging", "dev_alice_intermediate", "dev_alice_marts_next"}

    compiled = _dbt(tmp_path / "compiled", {**dbt_env(target="dev"), "USER": "bob"},
                    "compile", "--select", "mrr_daily", "--no-partial-parse")
    assert _model_schemas(compiled) == {"dev_bob_staging", "dev_bob_intermediate", "dev_bob_marts_next"}
    sql = next(node for node in compiled["nodes"].values() if node["name"] == "mrr_daily")["compiled_code"]
    assert '"dev_bob_intermediate"."int_mrr_held_daily"' in sql
    assert '"intermediate"."' not in sql and '"marts_next"."' not in sql
