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
