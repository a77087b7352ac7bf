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
      - expect: unexpected_rows
        query: SELECT user_id FROM {batch} GROUP BY user_id HAVING count(*) > 1000
        scope: table                             # reads the whole table even in a scoped hourly run

In a query, `{batch}` is the table under validation and `{schema}` its schema: a mart suite is run on the build
schema before the marts are published (reelhouse/warehouse/marts.py), so other marts are `{schema}.<mart>`.

An hourly pipeline run may check a raw table's row expectations on the rows landed since the last audited build
only (expectations/runner.py). A row expectation is a blocking one that each row passes or fails alone
(ROW_EXPECTATIONS without `mostly`, and `unexpected_rows`, whose query returns the failing rows) or uniqueness of
the suite's key (its first `column_values_to_be_unique`); anything else, and any expectation with `scope: table`,
reads the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reelhouse.errors import ReelhouseError

SUITES_DIR = Path(__file__).resolve().parent / "suites"
# GX expectations each row passes or fails alone, so checking new rows only loses nothing checked before.
ROW_EXPECTATIONS = frozenset({
    "column_values_to_not_be_null", "column_values_to_be_null", "column_values_to_be_in_set",
    "column_values_to_not_be_in_set", "column_values_to_be_between", "column_values_to_match_regex",
    "column_values_to_not_match_regex", "column_value_lengths_to_be_between",
    "column_pair_values_to_be_equal", "column_pair_values_a_to_be_greater_than_b", "unexpected_rows",
})
UNIQUE = "column_values_to_be_unique"


@dataclass(frozen=True)
class ExpectationSpec:
    expect: str
    kwargs: dict[str, Any]
    blocking: bool
    description: str | None = None
    whole_table: bool = False  # `scope: table` in the file: never narrowed to the rows landed since

    def reads_landed_rows(self, key: str | None) -> bool:
        """Whether checking only the rows landed since the last audit (and rows sharing their `key`) is enough:
        a blocking row expectation, or uniqueness of the key. Warnings report a standing problem every run."""
        if self.whole_table or not self.blocking or "mostly" in self.kwargs:  # `mostly`: a share of all rows
            return False
        if self.expect == UNIQUE:
            return key is not None and self.kwargs.get("column") == key
        return self.expect in ROW_EXPECTATIONS

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

    @property
    def key(self) -> str | None:
        """The column its first uniqueness expectation names: a narrowed batch holds every row sharing a key with a
        row landed since, so a new row that duplicates an old one is still caught."""
        return next((spec.kwargs.get("column") for spec in self.expectations if spec.expect == UNIQUE), None)


class SuiteFileError(ReelhouseError):
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
        scope = entry.pop("scope", "auto")
        if scope not in ("auto", "table"):
            raise SuiteFileError(f"{path.name}: expectation #{index + 1} has scope {scope!r} (auto or table)")
        if expect == "unexpected_rows":
            entry["unexpected_rows_query"] = entry.pop("query")
        specs.append(ExpectationSpec(expect, entry, blocking, description, whole_table=scope == "table"))
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
