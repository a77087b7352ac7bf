"""The code's layering and its one error hierarchy, checked on the source itself.

Every exception class the production packages define derives from reelhouse.errors.ReelhouseError, so callers
catch one class (the CLI prints it as one line); reelhouse/errors.py imports nothing, so every layer can use it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from reelhouse.errors import ReelhouseError

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("reelhouse", "ingestion", "expectations", "semantic", "orchestration")
# Runs inside Superset's own virtualenv (reads Superset's environment at import), never imported here.
NOT_IMPORTABLE = {"reelhouse.superset.superset_config"}


def modules(package: str) -> list[tuple[str, Path]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def imported_names(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement names, at any depth (function-level imports included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
    return names


def test_errors_module_imports_nothing():
    assert imported_names(ROOT / "reelhouse" / "errors.py") == []


@pytest.mark.parametrize("package", PRODUCTION)
def test_every_exception_the_project_defines_is_a_reelhouse_error(package):
    strays = []
    for name, _ in modules(package):
        if name in NOT_IMPORTABLE or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (value.__module__ == name and issubclass(value, BaseException)
                    and not issubclass(value, ReelhouseError)):
                strays.append(f"{name}.{value.__name__} ({', '.join(base.__name__ for base in value.__bases__)})")
    assert not strays, f"derive these from reelhouse.errors.ReelhouseError: {strays}"


# Which project packages each layer may import (third-party packages are free, except those listed below).
# The core `reelhouse/` is the bottom layer; its CLI (`reelhouse/cli/`, `python -m reelhouse`) is the top one.
PROJECT_PACKAGES = {"reelhouse", "ingestion", "expectations", "semantic", "orchestration", "demo", "benchmarks",
                    "tests", "dbt_project"}
ALLOWED = {
    "reelhouse": {"reelhouse"},
    "ingestion": {"reelhouse", "ingestion"},
    "expectations": {"reelhouse", "expectations"},
    "semantic": {"reelhouse", "expectations", "semantic"},
    "orchestration": {"reelhouse", "ingestion", "expectations", "semantic", "orchestration"},
    "reelhouse.cli": {"reelhouse", "ingestion", "expectations", "semantic", "orchestration"},
}
# The demo's own commands are the one place production code reaches the demo world.
DEMO_COMMANDS = "reelhouse.cli.demo"
NOT_BELOW_ORCHESTRATION = {"dagster", "dagster_dbt", "dagster_postgres", "dbt"}


def layer(module: str) -> str:
    if module == "reelhouse.__main__" or module.startswith("reelhouse.cli"):
        return "reelhouse.cli"
    return module.split(".")[0]


@pytest.mark.parametrize("package", PRODUCTION)
def test_each_layer_imports_only_the_layers_below_it_and_never_the_demo(package):
    violations = []
    for name, path in modules(package):
        allowed = ALLOWED[layer(name)] | ({"demo"} if name == DEMO_COMMANDS else set())
        for line, imported in imported_names(path):
            top = imported.split(".")[0]
            if (top in PROJECT_PACKAGES and top not in allowed) or (
                    top in NOT_BELOW_ORCHESTRATION and layer(name) not in ("orchestration", "reelhouse.cli")):
                violations.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not violations, violations


# Inside orchestration/ (laid out like Dagster's open platform): the plumbing in lib/ imports no definitions; a domain
# in defs/<domain>/ imports lib/ and its own folder, never another domain, except pipeline/, whose jobs run the others
# and leave the weekly email (reporting/) out; definitions.py alone puts them together. Outside orchestration/, only
# the CLI imports it, and only definitions.py and lib/ (the domains are the code location's own business).
ORCHESTRATION_DOMAINS = ("ingestion", "transform", "quality", "publish", "reporting", "pipeline")
DOMAIN_MAY_ALSO_IMPORT = {"pipeline": {"reporting"}}


def orchestration_part(module: str) -> str:
    """orchestration.lib, orchestration.defs.<domain>, orchestration.definitions or orchestration (the package)."""
    parts = module.split(".")
    if parts[1:2] == ["defs"] and len(parts) > 2:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def allowed_in_orchestration(module: str) -> set[str]:
    part = orchestration_part(module)
    if part in ("orchestration.definitions", "orchestration"):
        return {"orchestration", "orchestration.lib", "orchestration.definitions",
                *(f"orchestration.defs.{domain}" for domain in ORCHESTRATION_DOMAINS)}
    if part.startswith("orchestration.defs."):
        domain = part.rsplit(".", 1)[1]
        return {"orchestration.lib", part, *(f"orchestration.defs.{d}" for d in DOMAIN_MAY_ALSO_IMPORT.get(domain, ()))}
    return {"orchestration.lib"}


def test_orchestration_is_laid_out_by_domain_over_its_plumbing():
    folders = {path.name for path in (ROOT / "orchestration" / "defs").iterdir() if path.is_dir()
               and path.name != "__pycache__"}
    assert folders == set(ORCHESTRATION_DOMAINS)
    assert {path.name for path in (ROOT / "orchestration").glob("*.py")} == {"__init__.py", "definitions.py"}
    violations = []
    for package in PRODUCTION:
        for name, path in modules(package):
            for line, imported in imported_names(path):
                if imported.split(".")[0] != "orchestration":
                    continue
                if package == "orchestration":
                    ok = orchestration_part(imported) in allowed_in_orchestration(name)
                else:
                    ok = orchestration_part(imported) in ("orchestration.definitions", "orchestration.lib")
                if not ok:
                    violations.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not violations, violations


def test_the_checker_sees_function_level_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def run():\n    from demo.stripe_world.background import running_stripe_server\n")
    assert imported_names(sample) == [(2, "demo.stripe_world.background")]
