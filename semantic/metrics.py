"""Metric definitions from semantic/metrics.yml: parsed, validated, queried and formatted the same way everywhere.

A metric becomes a number one way only: `SELECT <sql> FROM <table> WHERE <time_column> >= start AND
<time_column> < end` (metric_query). The weekly email runs it here, Superset runs it as the dataset's saved metric,
and marts.wow_deltas runs it in dbt (macro wow_metric_value) over the metrics with a `wow_metric`, which dbt reads
from dbt_project/macros/semantic/semantic_metrics.sql: written from this file by `python -m semantic.metrics`
(dbt cannot read a file outside its project; tests/semantic/test_metrics.py fails while it is stale).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from semantic.formats import METRIC_KINDS, Format

METRICS_FILE = Path(__file__).resolve().parent / "metrics.yml"
DBT_METRICS_MACRO = Path(__file__).resolve().parents[1] / "dbt_project" / "macros" / "semantic" / "semantic_metrics.sql"
FORMATS = METRIC_KINDS  # integer | usd | percent | number | duration (semantic/formats.py)
MARTS_PREFIX = "marts."


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    table: str
    sql: str
    format: str
    description: str
    owner: str
    higher_is_better: bool = True
    time_column: str | None = None  # the day column sparklines group by; None for marts without one
    wow_metric: str | None = None
    decimals: int | None = None  # shown decimals; default by format (semantic/formats.py)

    def render(self, value: float | Decimal | None) -> str:
        """The value as people read it: 1,234 · $1,234.56 · 93.4%; n/a when unknown."""
        return format_value(value, self.format, self.decimals)

    @property
    def number_format(self) -> Format:
        """Its format and decimals, as the boards (d3) and the email (render) show it."""
        return Format(self.format, self.decimals)

    @property
    def model(self) -> str:
        """The dbt model of its mart (table marts.x -> x)."""
        return self.table.removeprefix(MARTS_PREFIX)


def metric_query(metric: Metric, *, windowed: bool = True) -> str:
    """The metric's one query: its SQL over its mart's rows in [%(start)s, %(end)s) of its time column (the whole
    mart when not windowed or the mart has no time column). marts.wow_deltas runs the same (macro
    wow_metric_value), Superset the same as a saved metric with a time range."""
    query = f"SELECT {metric.sql} AS value FROM {metric.table}"  # noqa: S608 (definitions from our own file)
    if windowed and metric.time_column:
        query += f" WHERE {metric.time_column} >= %(start)s AND {metric.time_column} < %(end)s"
    return query


def metric_value(conn: Any, metric: Metric, start: date | None = None, end: date | None = None) -> Any:
    """The metric over [start, end) (over its whole mart when both are None)."""
    windowed = start is not None or end is not None
    if windowed and (start is None or end is None or metric.time_column is None):
        raise ValueError(f"metric {metric.name}: a window needs a start, an end and a time column")
    return conn.execute(metric_query(metric, windowed=windowed), {"start": start, "end": end}).fetchone()[0]


def format_value(value: float | Decimal | None, kind: str, decimals: int | None = None) -> str:
    return Format(kind, decimals).render(value)


@cache
def load_metrics(path: Path = METRICS_FILE) -> dict[str, Metric]:
    """Every metric by name; a malformed entry is an error naming it, never skipped."""
    entries = (yaml.safe_load(path.read_text()) or {}).get("metrics") or []
    metrics: dict[str, Metric] = {}
    for entry in entries:
        metric = Metric(**entry)
        if metric.format not in FORMATS:
            raise ValueError(f"{path.name}: metric {metric.name} has format {metric.format!r}, not one of {FORMATS}")
        try:
            metric.number_format  # noqa: B018 (validates decimals)
        except ValueError as exc:
            raise ValueError(f"{path.name}: metric {metric.name}: {exc}") from None
        if metric.name in metrics:
            raise ValueError(f"{path.name}: metric {metric.name} is defined twice")
        if metric.wow_metric and not metric.time_column:
            raise ValueError(f"{path.name}: metric {metric.name} has a wow_metric but no time_column to window it by")
        if metric.wow_metric and not metric.table.startswith(MARTS_PREFIX):
            raise ValueError(f"{path.name}: metric {metric.name} has a wow_metric but is on {metric.table}, not a mart")
        metrics[metric.name] = metric
    return metrics


def dbt_metrics_macro(metrics: dict[str, Metric]) -> str:
    """dbt_project/macros/semantic/semantic_metrics.sql: the week-over-week metrics as dbt reads them."""
    entries = [{"name": metric.wow_metric, "label": metric.label, "model": metric.model,
                "time_column": metric.time_column, "sql": metric.sql}
               for metric in metrics.values() if metric.wow_metric]
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n")
    return (
        "{#- GENERATED from semantic/metrics.yml by `python -m semantic.metrics`: do not edit by hand.\n"
        "    The metrics with a wow_metric (name here), as marts.wow_deltas computes them (macro wow_metric_value);\n"
        "    tests/semantic/test_metrics.py fails while this file does not match metrics.yml. -#}\n"
        "\n"
        "{% macro semantic_wow_metrics() %}\n"
        "    {%- set definitions -%}\n"
        "{%- raw %}\n"
        f"{body}\n"
        "{% endraw -%}\n"
        "    {%- endset -%}\n"
        "    {{ return(fromyaml(definitions)) }}\n"
        "{% endmacro %}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m semantic.metrics",
        description="Write the dbt macro holding the week-over-week metrics of semantic/metrics.yml.")
    parser.add_argument("--check", action="store_true", help="only say whether the macro is current")
    args = parser.parse_args(argv)
    text = dbt_metrics_macro(load_metrics())
    current = DBT_METRICS_MACRO.read_text() if DBT_METRICS_MACRO.exists() else None
    if args.check:
        if current != text:
            print(f"{DBT_METRICS_MACRO} is stale: run python -m semantic.metrics", file=sys.stderr)
            return 1
        return 0
    if current != text:
        DBT_METRICS_MACRO.parent.mkdir(parents=True, exist_ok=True)
        DBT_METRICS_MACRO.write_text(text)
        print(f"wrote {DBT_METRICS_MACRO}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
