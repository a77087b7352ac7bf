"""How a number, a date or a column header reads, declared once in semantic/metrics.yml and used everywhere.

A metric's `format` (and optional `decimals`) says what its value is; the `columns:` section of metrics.yml gives
the mart columns that tables show or group by a label and a format. Superset takes both as d3 formats (dataset
metrics, column verbose names, chart and table column formats) and the weekly email renders them here, so a
value reads the same on a board and in the email.

Kinds: integer (a count), usd (US dollars, "$1,234.56"), percent (a FRACTION 0-1 shown x100: 0.934 -> 93.4%),
number (a plain decimal: an average score, a rating), duration (a decimal whose unit the label states: "Hours
since ..."), and, for columns only, date (a day, no time), timestamp (to the minute), text, id (no thousands
separator) and boolean. A value kept on a 0-100 scale is a number (the label says "(%)"), never a percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

METRICS_FILE = Path(__file__).resolve().parent / "metrics.yml"
# Default decimals of each numeric kind.
NUMERIC = {"integer": 0, "usd": 2, "percent": 1, "number": 1, "duration": 1}
TEMPORAL = {"date": "%Y-%m-%d", "timestamp": "%Y-%m-%d %H:%M"}
PLAIN = ("text", "id", "boolean")
METRIC_KINDS = tuple(NUMERIC)
COLUMN_KINDS = (*NUMERIC, *TEMPORAL, *PLAIN)


@dataclass(frozen=True)
class Format:
    kind: str
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"format {self.kind!r} is not one of {COLUMN_KINDS}")
        if self.decimals is not None and (self.kind not in NUMERIC or not 0 <= self.decimals <= 6):
            raise ValueError(f"decimals {self.decimals!r} do not apply to format {self.kind!r} (numbers: 0-6)")

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def places(self) -> int:
        """The decimals a value shows (declared, else the kind's default); 0 for what is not a number."""
        if self.kind == "id":
            return 0
        return (NUMERIC[self.kind] if self.decimals is None else self.decimals) if self.is_numeric else 0

    @property
    def d3(self) -> str | None:
        """Superset's (d3-format) number format, None for what is not a number."""
        places = self.places
        if self.kind == "id":
            return "d"
        if not self.is_numeric:
            return None
        if self.kind == "usd":
            return f"$,.{places}f"
        if self.kind == "percent":
            return f".{places}%"
        return ",d" if places == 0 else f",.{places}f"

    @property
    def d3_time(self) -> str | None:
        """Superset's (d3-time-format) date format, None for what is not a date."""
        return TEMPORAL.get(self.kind)

    def render(self, value: Any) -> str:
        """The value as the boards show it: 1,234 · $1,234.56 · 93.4% · 4.4 · 2026-11-15; n/a when unknown."""
        if value is None:
            return "n/a"
        if self.kind in TEMPORAL:
            return value.strftime(TEMPORAL[self.kind]) if hasattr(value, "strftime") else str(value)
        if self.kind == "id":
            return str(int(value))
        if not self.is_numeric:
            return str(value)
        number = float(value) if isinstance(value, Decimal | int | float) else float(str(value))
        places = self.places
        if self.kind == "usd":
            return f"-${abs(number):,.{places}f}" if number < 0 else f"${number:,.{places}f}"
        if self.kind == "percent":
            return f"{number * 100:.{places}f}%"
        return f"{number:,.{places}f}"


@dataclass(frozen=True)
class ColumnLabel:
    """A mart column as people read it: its header and its format (`name` is `column` or `mart.column`)."""

    name: str
    label: str
    format: Format


@cache
def load_columns(path: Path = METRICS_FILE) -> dict[str, ColumnLabel]:
    """The `columns:` section of metrics.yml by name; a malformed entry is an error naming it."""
    entries = (yaml.safe_load(path.read_text()) or {}).get("columns") or []
    columns: dict[str, ColumnLabel] = {}
    for entry in entries:
        unknown = set(entry) - {"name", "label", "format", "decimals"}
        if unknown or not entry.get("name") or not entry.get("label") or not entry.get("format"):
            raise ValueError(f"{path.name}: column entry {entry!r} needs name, label and format (and nothing but "
                             "decimals besides)")
        try:
            number_format = Format(entry["format"], entry.get("decimals"))
        except ValueError as exc:
            raise ValueError(f"{path.name}: column {entry['name']}: {exc}") from None
        if entry["name"] in columns:
            raise ValueError(f"{path.name}: column {entry['name']} is defined twice")
        columns[entry["name"]] = ColumnLabel(entry["name"], entry["label"], number_format)
    return columns


def column_label(mart: str, column: str) -> ColumnLabel | None:
    """The label and format of a mart's column: its `mart.column` entry, else the `column` one."""
    columns = load_columns()
    return columns.get(f"{mart}.{column}") or columns.get(column)
