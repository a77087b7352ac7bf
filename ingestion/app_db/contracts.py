"""Row-level data contracts (contracts.yml) as SQL predicates that pick out rows to quarantine.

The loader evaluates them in its source query, so "now" is the source's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from psycopg import sql

CONTRACTS_PATH = Path(__file__).with_name("contracts.yml")


@dataclass(frozen=True)
class Rule:
    """A broken-row predicate over the source table's columns and the reason recorded with each such row."""

    reason: str
    predicate: sql.Composable


@cache
def _contracts() -> dict:
    return yaml.safe_load(CONTRACTS_PATH.read_text())


def rules_for(table: str, columns: list[str], primary_key: list[str]) -> list[Rule]:
    """The rules that apply to this table, limited to the columns it actually has."""
    contracts = _contracts()
    ident = sql.Identifier
    rules = [Rule(f"NULL primary key column {pk}", sql.SQL("{} IS NULL").format(ident(pk))) for pk in primary_key]
    tolerance = int(contracts.get("future_tolerance_minutes", 5))
    for column in contracts.get("timestamp_columns", []):
        if column in columns:
            rules.append(Rule(
                f"{column} is in the future (more than {tolerance} min ahead)",
                sql.SQL("{} > now() + make_interval(mins => {})").format(ident(column), sql.Literal(tolerance)),
            ))
    table_contract = contracts.get("tables", {}).get(table, {})
    for column in table_contract.get("not_negative", []):
        if column in columns:
            rules.append(Rule(f"negative {column}", sql.SQL("{} < 0").format(ident(column))))
    for column, allowed in table_contract.get("allowed", {}).items():
        if column in columns:
            rules.append(Rule(
                f"unknown {column} (allowed: {', '.join(allowed)})",
                sql.SQL("{} IS NOT NULL AND {}::text <> ALL({})").format(
                    ident(column), ident(column), sql.Literal(list(allowed))
                ),
            ))
    return rules
