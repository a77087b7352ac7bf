"""dbt silently ignores a unit test's macro override whose key names no macro it knows: the test then runs on the
real macro (for `reporting_time`, the wall clock or REELHOUSE_AS_OF) while its YAML says otherwise."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
# Macros dbt itself lets a unit test override (dbt docs: unit tests, "overrides").
DBT_OVERRIDABLE = {"is_incremental", "invocation_id", "run_started_at", "env_var", "var"}


def _project_macros() -> set[str]:
    names = set()
    for path in (PROJECT / "macros").rglob("*.sql"):
        names |= set(re.findall(r"{%-?\s*macro\s+(\w+)\s*\(", path.read_text()))
    return names


def _macro_overrides() -> list[tuple[str, str, str]]:
    found = []
    for path in (PROJECT / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            for key in ((test.get("overrides") or {}).get("macros") or {}):
                found.append((path.relative_to(PROJECT).as_posix(), test["name"], key))
    return found


def test_every_macro_override_names_a_macro_dbt_will_replace():
    known = _project_macros() | DBT_OVERRIDABLE
    overrides = _macro_overrides()
    assert any(key == "reporting_time" for _, _, key in overrides), "expected the reporting clock to be overridden"
    unknown = [f"{path}: {name} overrides '{key}'" for path, name, key in overrides if key not in known]
    assert not unknown, "overrides dbt ignores (a package-qualified or misspelt macro name):\n" + "\n".join(unknown)
