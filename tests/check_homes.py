"""Which tool checks what: every dbt data test and every Great Expectations expectation as (table, columns, kind).

README "Data quality" gives each kind of check one home:
- dbt (model YAML): a model's grain, nulls, accepted values, relationships, and predicates on one row of a model
  (a rate within [0, 1], a funnel that never increases, movements that reconcile). Raw data is tested on its
  staging model, under the column's staging name.
- GX (expectations/suites): what dbt's tests do poorly: the raw table's contract before staging (volume, clock,
  signs and ranges of raw amounts, rules across a raw row's columns), and a mart held against what is outside it
  (Stripe's raw money to the cent, raw subscriptions, the user population).
- pytest: behaviour (fixed worlds with hand-computed numbers; that each check catches what it is for).

So a check is in two homes when a suite and the dbt YAML check the same (table, columns, kind), raw data counting
under its raw table on both sides (stg_app__videos.video_id is raw_app.videos.id); and a GX expectation is out of
its home when it is of a kind dbt owns (DBT_KINDS) or a predicate on a mart's own row. tests/test_expectations.py
enforces both; tests/transform/test_mart_expectations.py labels failing dbt tests with `dbt_label`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from expectations.suite import SUITES_DIR, load_suites

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
MODEL_DIRS_PUBLISHED = ("marts", "reporting")  # built in marts_next, published as the `marts` schema
DBT_KINDS = frozenset({"grain", "not_null", "accepted_values", "relationships"})
GX_KINDS = {
    "column_values_to_be_unique": "grain", "compound_columns_to_be_unique": "grain",
    "select_column_values_to_be_unique_within_record": "grain",
    "column_values_to_not_be_null": "not_null", "column_values_to_be_null": "not_null",
    "column_values_to_be_in_set": "accepted_values", "column_values_to_not_be_in_set": "accepted_values",
    "column_values_to_be_between": "row_predicate", "column_values_to_match_regex": "row_predicate",
    "column_values_to_not_match_regex": "row_predicate", "column_value_lengths_to_be_between": "row_predicate",
    "column_pair_values_to_be_equal": "row_predicate", "column_pair_values_a_to_be_greater_than_b": "row_predicate",
}
_IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
_OTHER_RELATION = re.compile(r"\{schema\}\.\w+|\b(?:raw_\w+|ops|staging|intermediate|marts|marts_next)\.\w+")
_RENAME = re.compile(r"^\s*(\w+)\s+as\s+(\w+),?\s*$", re.MULTILINE | re.IGNORECASE)
_SOURCE = re.compile(r"source\(\s*'(\w+)'\s*,\s*'(\w+)'\s*\)")
_BASE_REF = re.compile(r"ref\(\s*'(base_\w+)'\s*\)")


@dataclass(frozen=True)
class Check:
    tool: str  # dbt | gx
    table: str  # schema.table; raw data under its raw table, a mart under `marts`
    columns: frozenset[str]
    kind: str  # grain | not_null | accepted_values | relationships | row_predicate | across | aggregate | volume | ...
    label: str  # the test's or expectation's description, else kind(columns)
    origin: str  # the file that declares it

    def __str__(self) -> str:
        return f"{self.tool} {self.table} {self.kind}({', '.join(sorted(self.columns))}): {self.label} [{self.origin}]"


def _columns_in(text: str, known: set[str]) -> frozenset[str]:
    return frozenset(word for word in _IDENTIFIER.findall(text.lower()) if word in known)


def dbt_label(description: str | None, kind: str, columns: frozenset[str]) -> str:
    return (description or "").strip() or f"{kind}({', '.join(sorted(columns))})"


def dbt_kind(test_name: str, arguments: dict, column: str | None, known: set[str]) -> tuple[str, frozenset[str]]:
    """The kind of a generic dbt test and the model columns it checks (model-level tests: the ones its arguments
    name: a unique key's expression, a column list, an expression's columns)."""
    own = {column.lower()} if column and column.lower() in known else set()  # a key expression is no column
    if test_name in ("not_null", "accepted_values", "relationships"):
        return test_name, frozenset(own)
    listed = {item for value in arguments.values() if isinstance(value, list) for item in value
              if isinstance(item, str) and item in known}
    texts = " ".join(str(value) for value in arguments.values() if isinstance(value, str))
    columns = frozenset(own | listed | _columns_in(texts, known))
    if "unique" in test_name:  # unique, and a unique-combination-of-columns test
        return "grain", columns
    if "expression" in test_name:
        return "row_predicate", columns
    return test_name, columns


def _tests(entries) -> list[tuple[str, dict, str | None]]:
    """(test name, arguments, description) of each entry of a `data_tests:` list."""
    found = []
    for entry in entries or []:
        if isinstance(entry, str):
            found.append((entry, {}, None))
            continue
        for name, body in entry.items():
            body = body or {}
            found.append((name, dict(body.get("arguments") or {}), body.get("description")))
    return found


def _model_table(name: str, sql_path: Path | None, top_folder: str, sources: dict[str, str]) -> tuple[str, dict]:
    """Where a model's data is checked: a staging model of one source table is that raw table (with its renames,
    staging name -> raw name), a stg_ model over its base_ model (the source's rows, deleted ones included) too;
    a published model is marts.<name>; others their own schema."""
    if top_folder == "staging" and sql_path is not None:
        sql = sql_path.read_text()
        base = _BASE_REF.findall(sql)
        if not _SOURCE.search(sql) and len(base) == 1:
            return _model_table(base[0], sql_path.with_name(f"{base[0]}.sql"), top_folder, sources)
        tables = set(_SOURCE.findall(sql))
        if len(tables) == 1:
            source, table = tables.pop()
            renames = {new.lower(): old.lower() for old, new in _RENAME.findall(sql)}
            return f"{sources.get(source, source)}.{table}", renames
    schema = "marts" if top_folder in MODEL_DIRS_PUBLISHED else top_folder
    return f"{schema}.{name}", {}


@dataclass(frozen=True)
class Model:
    name: str
    table: str  # where its data is checked (_model_table)
    columns: frozenset[str]  # documented, under the table's names (a staging model's: raw names)
    renames: dict  # staging name -> raw name
    yaml: dict
    origin: str


def models(project: Path = DBT_PROJECT) -> list[Model]:
    """Every model the YAML documents."""
    models_dir = project / "models"
    sql_files = {path.stem: path for path in models_dir.rglob("*.sql")}
    documents = [(path, yaml.safe_load(path.read_text()) or {}) for path in sorted(models_dir.rglob("*.yml"))]
    sources = {source["name"]: source.get("schema", source["name"])
               for _, document in documents for source in document.get("sources") or []}
    found = []
    for path, document in documents:
        for model in document.get("models") or []:
            top_folder = path.relative_to(models_dir).parts[0]
            table, renames = _model_table(model["name"], sql_files.get(model["name"]), top_folder, sources)
            names = {column["name"].lower() for column in model.get("columns") or []}
            found.append(Model(model["name"], table, frozenset(renames.get(n, n) for n in names | set(renames)),
                               renames, model, f"{path.relative_to(project.parent)}: {model['name']}"))
    return found


def dbt_checks(project: Path = DBT_PROJECT) -> list[Check]:
    """Every generic data test the models' YAML declares (singular tests span models: they are not listed)."""
    checks = []
    for model in models(project):
        columns = model.yaml.get("columns") or []
        known = {column["name"].lower() for column in columns} | set(model.renames)
        declared = [(None, test) for test in _tests(model.yaml.get("data_tests") or model.yaml.get("tests"))]
        declared += [(column["name"].lower(), test) for column in columns
                     for test in _tests(column.get("data_tests") or column.get("tests"))]
        for column, (name, arguments, description) in declared:
            kind, checked = dbt_kind(name, arguments, column, known)
            checked = frozenset(model.renames.get(c, c) for c in checked)
            checks.append(Check("dbt", model.table, checked, kind, dbt_label(description, kind, checked),
                                model.origin))
    return checks


def columns_by_table(project: Path = DBT_PROJECT) -> dict[str, set[str]]:
    """The columns each table's dbt model documents (a raw table: its staging model's, under raw names)."""
    found: dict[str, set[str]] = {}
    for model in models(project):
        found.setdefault(model.table, set()).update(model.columns)
    return found


def gx_checks(suites_dir: Path = SUITES_DIR, known_columns: dict[str, set[str]] | None = None) -> list[Check]:
    """Every expectation of every suite. An `unexpected_rows` query that reads another relation is `across`; one
    that aggregates the table (`scope: table`, GROUP BY) is `aggregate`; else a row predicate on the columns it
    names (those of the table's dbt model, given `known_columns`)."""
    checks = []
    for suite in load_suites(suites_dir).values():
        table = f"{suite.schema}.{suite.table}"
        for spec in suite.expectations:
            arguments = spec.kwargs
            named = {arguments[key] for key in ("column", "column_A", "column_B") if key in arguments}
            named |= set(arguments.get("column_list") or [])
            if spec.expect == "unexpected_rows":
                query = arguments["unexpected_rows_query"]
                if _OTHER_RELATION.search(query):
                    kind = "across"
                elif spec.whole_table or re.search(r"\bgroup\s+by\b", query, re.IGNORECASE):
                    kind = "aggregate"
                else:
                    kind = "row_predicate"
                    query = re.split(r"\bwhere\b", query, maxsplit=1, flags=re.IGNORECASE)[-1]  # the predicate
                words = set(_IDENTIFIER.findall(query.lower()))
                known = (known_columns or {}).get(table)
                named = (words & known) if known else words - {"batch", "schema"}
            elif spec.expect.startswith("table_"):
                kind = "volume"
            else:
                kind = GX_KINDS.get(spec.expect, "distribution")  # column means, quantiles, proportions...
            origin = suite.path.name if suite.path else suite.name
            checks.append(Check("gx", table, frozenset(c.lower() for c in named), kind, spec.label, origin))
    return checks


def two_homes(dbt: list[Check], gx: list[Check]) -> list[tuple[Check, Check]]:
    """GX expectations that check what a dbt test checks: the same table, kind and columns."""
    return [(g, d) for g in gx for d in dbt
            if (g.table, g.kind, g.columns) == (d.table, d.kind, d.columns)]


def out_of_home(gx: list[Check]) -> list[Check]:
    """GX expectations whose home is dbt: a kind dbt owns, or a predicate on one row of a mart."""
    return [g for g in gx if g.kind in DBT_KINDS or (g.table.startswith("marts.") and g.kind == "row_predicate")]
