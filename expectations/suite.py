"""Suite files: one YAML per table, readable by people who do not know the GX API.

    name: raw_app.videos            # defaults to the table
    table: raw_app.videos           # schema.table in the warehouse
    blocking: true                  # default for its expectations: a failure stops downstream assets
    expectations:
      - expect: column_values_to_not_be_null     # any GX 1.x expectation, without the "expect_" prefix
        column: id
      - expect: unexpected_rows                  # custom SQL: rows returned are failures
        description: credits are never negative
        query: SELECT id FROM {batch} WHERE credits_used < 0
        blocking: false                          # a warning: recorded, never blocks

In a query, `{batch}` is the table under validation and `{schema}` its schema: a mart suite is run on the build
schema before the marts are published (reelhouse/warehouse/marts.py), so other marts are `{schema}.<mart>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).resolve().parent / "suites"


@dataclass(frozen=True)
class ExpectationSpec:
    expect: str
    kwargs: dict[str, Any]
    blocking: bool
    description: str | None = None

    @property
    def label(self) -> str:
        """A stable, human-readable name for results tables and check metadata."""
        if self.description:
            return self.description
        target = self.kwargs.get("column") or self.kwargs.get("column_list")
        return f"{self.expect}({target})" if target else self.expect


@dataclass(frozen=True)
class Suite:
    name: str
    schema: str
    table: str
    blocking: bool
    expectations: list[ExpectationSpec] = field(default_factory=list)
    path: Path | None = None


class SuiteFileError(ValueError):
    """A suite file that cannot be understood; names the file and the entry."""


def parse_suite(path: Path) -> Suite:
    raw = yaml.safe_load(path.read_text()) or {}
    table = raw.get("table")
    if not table or "." not in table:
        raise SuiteFileError(f"{path.name}: 'table' must be schema.table")
    schema, table_name = table.split(".", 1)
    suite_blocking = bool(raw.get("blocking", False))
    specs = []
    for index, entry in enumerate(raw.get("expectations") or []):
        entry = dict(entry)
        expect = entry.pop("expect", None)
        if not expect:
            raise SuiteFileError(f"{path.name}: expectation #{index + 1} has no 'expect'")
        blocking = bool(entry.pop("blocking", suite_blocking))
        description = entry.pop("description", None)
        if expect == "unexpected_rows":
            entry["unexpected_rows_query"] = entry.pop("query")
        specs.append(ExpectationSpec(expect, entry, blocking, description))
    return Suite(raw.get("name", table), schema, table_name, suite_blocking, specs, path)


def load_suites(directory: Path = SUITES_DIR) -> dict[str, Suite]:
    """Every suite, keyed by name. Fails loudly on a malformed file rather than skipping it."""
    suites = {}
    for path in sorted(directory.glob("*.yml")):
        suite = parse_suite(path)
        if suite.name in suites:
            raise SuiteFileError(f"{path.name}: suite {suite.name} is declared twice")
        suites[suite.name] = suite
    return suites
