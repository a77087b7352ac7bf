"""The dbt project's own rules, checked on its manifest (`dbt parse`, no warehouse needed).

dbt Labs' dbt-project-evaluator package states the rules; its hub package cannot be installed here, so the rules
that apply are written out below, each over `target/manifest.json`. A violation fails the test unless
dbt_project/evaluator_waivers.yml waives it, with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.dbt_project import DBT_PROJECT_DIR

PRIMARY_KEY_TESTS = ("unique_combination_of_columns",)  # alone, or unique + not_null on one column


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("rules-target")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--no-partial-parse",
         "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=600,
        env={**os.environ, "REELHOUSE_DBT_TARGET": "prod"})  # the project the pipeline builds
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return json.loads((target / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def generic_tests(manifest: dict) -> dict[str, list[dict]]:
    """Generic tests per model they are attached to."""
    found: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata") and node.get("attached_node"):
            found.setdefault(node["attached_node"], []).append(node)
    return found


def missing_primary_key_tests(manifest: dict) -> list[str]:
    """Models whose grain no test states: neither unique and not_null on one column nor
    unique_combination_of_columns (evaluator: fct_missing_primary_key_tests)."""
    tests = generic_tests(manifest)
    missing = []
    for key, model in models(manifest).items():
        by_kind: dict[str, set] = {}
        for test in tests.get(key, []):
            by_kind.setdefault(test["test_metadata"]["name"], set()).add(test.get("column_name"))
        one_column_key = (by_kind.get("unique", set()) & by_kind.get("not_null", set())) - {None}
        if not one_column_key and not any(name in by_kind for name in PRIMARY_KEY_TESTS):
            missing.append(model["name"])
    return sorted(missing)


def test_every_model_has_a_tested_grain(manifest):
    assert missing_primary_key_tests(manifest) == []


def test_a_model_without_a_grain_test_is_found(manifest):
    """The rule can fail: a model with only `unique` on an expression, or unique and not_null on different columns,
    has no tested grain."""
    crafted = {"nodes": {
        "model.p.a": {"resource_type": "model", "name": "a"},
        "model.p.b": {"resource_type": "model", "name": "b"},
        "model.p.c": {"resource_type": "model", "name": "c"},
        "test.p.1": {"resource_type": "test", "attached_node": "model.p.a", "column_name": "x || y",
                     "test_metadata": {"name": "unique"}},
        "test.p.2": {"resource_type": "test", "attached_node": "model.p.b", "column_name": "x",
                     "test_metadata": {"name": "unique"}},
        "test.p.3": {"resource_type": "test", "attached_node": "model.p.b", "column_name": "y",
                     "test_metadata": {"name": "not_null"}},
        "test.p.4": {"resource_type": "test", "attached_node": "model.p.c", "column_name": None,
                     "test_metadata": {"name": "unique_combination_of_columns"}},
    }}
    assert missing_primary_key_tests(crafted) == ["a", "b"]
    assert "unique_combination_of_columns" in {
        test["test_metadata"]["name"] for tests in generic_tests(manifest).values() for test in tests}
