"""Metric definitions from semantic/metrics.yml: parsed, validated, and formatted the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

from semantic.formats import METRIC_KINDS, Format

METRICS_FILE = Path(__file__).resolve().parent / "metrics.yml"
FORMATS = METRIC_KINDS  # integer | usd | percent | number | duration (semantic/formats.py)


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
        metrics[metric.name] = metric
    return metrics
