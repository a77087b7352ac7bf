"""Metric definitions from semantic/metrics.yml: parsed, validated, and formatted the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

METRICS_FILE = Path(__file__).resolve().parent / "metrics.yml"
FORMATS = ("integer", "usd", "percent")


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

    def render(self, value: float | Decimal | None) -> str:
        """The value as people read it: 1,234 · $1,234.56 · 93.4%; n/a when unknown."""
        return format_value(value, self.format)


def format_value(value: float | Decimal | None, kind: str) -> str:
    if value is None:
        return "n/a"
    number = float(value)
    if kind == "usd":
        return f"-${abs(number):,.2f}" if number < 0 else f"${number:,.2f}"
    if kind == "percent":
        return f"{number * 100:.1f}%"
    return f"{number:,.0f}"


@cache
def load_metrics(path: Path = METRICS_FILE) -> dict[str, Metric]:
    """Every metric by name; a malformed entry is an error naming it, never skipped."""
    entries = (yaml.safe_load(path.read_text()) or {}).get("metrics") or []
    metrics: dict[str, Metric] = {}
    for entry in entries:
        metric = Metric(**entry)
        if metric.format not in FORMATS:
            raise ValueError(f"{path.name}: metric {metric.name} has format {metric.format!r}, not one of {FORMATS}")
        if metric.name in metrics:
            raise ValueError(f"{path.name}: metric {metric.name} is defined twice")
        metrics[metric.name] = metric
    return metrics
