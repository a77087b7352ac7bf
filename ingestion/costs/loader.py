"""Load prices.yml into raw_costs: validated as a whole, replaced as a whole, in one transaction.

The file is the source of truth and is versioned in git, so a load replaces both tables; its
sha256 is the cursor, and an unchanged file is not reloaded (nothing is rewritten).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from ingestion.common.ops import TableLoadResult, ensure_ops_tables, new_load_id, read_cursor, write_audit, write_cursor
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

PRICES_PATH = Path(__file__).with_name("prices.yml")
SOURCE = "costs"
COST_TABLES = ("video_provider_prices", "llm_model_prices")


class PriceFileError(ReelhouseError):
    """prices.yml is malformed; the message names the section, the row and the problem."""


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    prices: tuple[str, ...]


TABLES = {
    "video_providers": Table("video_provider_prices", ("provider",), ("usd_per_credit",)),
    "llm_models": Table("llm_model_prices", ("provider", "model"), ("usd_per_1k_input", "usd_per_1k_output")),
}
DDL = """
CREATE TABLE IF NOT EXISTS raw_costs.video_provider_prices (
    provider text NOT NULL, usd_per_credit numeric(12, 6) NOT NULL,
    effective_from date NOT NULL, effective_to date, _loaded_at timestamptz NOT NULL,
    PRIMARY KEY (provider, effective_from)
);
CREATE TABLE IF NOT EXISTS raw_costs.llm_model_prices (
    provider text NOT NULL, model text NOT NULL, usd_per_1k_input numeric(12, 6) NOT NULL,
    usd_per_1k_output numeric(12, 6) NOT NULL, effective_from date NOT NULL, effective_to date,
    _loaded_at timestamptz NOT NULL, PRIMARY KEY (provider, model, effective_from)
);
"""


def validate(document: dict) -> dict[str, list[dict]]:
    """Every row complete, prices non-negative, dates ordered, no overlapping ranges per key."""
    unknown = set(document) - set(TABLES)
    if unknown:
        raise PriceFileError(f"unknown section(s): {', '.join(sorted(unknown))}")
    clean: dict[str, list[dict]] = {}
    for section, table in TABLES.items():
        rows = document.get(section) or []
        expected = {*table.key, *table.prices, "effective_from", "effective_to"}
        for number, row in enumerate(rows, start=1):
            where = f"{section} row {number}"
            if set(row) != expected:
                raise PriceFileError(f"{where}: expected the fields {sorted(expected)}, got {sorted(row)}")
            for price in table.prices:
                if not isinstance(row[price], int | float) or row[price] < 0:
                    raise PriceFileError(f"{where}: {price} must be a non-negative number, not {row[price]!r}")
            start, end = row["effective_from"], row["effective_to"]
            if not isinstance(start, date) or (end is not None and not isinstance(end, date)):
                raise PriceFileError(f"{where}: effective_from/effective_to must be dates (YYYY-MM-DD)")
            if end is not None and end <= start:
                raise PriceFileError(f"{where}: effective_to must be after effective_from")
        by_key: dict[tuple, list[dict]] = {}
        for row in rows:
            by_key.setdefault(tuple(row[k] for k in table.key), []).append(row)
        for key, versions in by_key.items():
            versions.sort(key=lambda r: r["effective_from"])
            for earlier, later in zip(versions, versions[1:], strict=False):
                if earlier["effective_to"] is None or earlier["effective_to"] > later["effective_from"]:
                    label = "/".join(key)
                    raise PriceFileError(f"{section} {label}: price ranges overlap at {later['effective_from']}")
        clean[section] = rows
    return clean


def load_costs(warehouse_url: str, prices_path: Path = PRICES_PATH) -> list[TableLoadResult]:
    """Validate and load; raises PriceFileError (nothing loaded) on a bad file."""
    text = prices_path.read_text()
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PriceFileError(f"{prices_path.name} is not valid YAML: {exc}") from None
    sections = validate(document)
    digest = hashlib.sha256(text.encode()).hexdigest()
    load_id = new_load_id()
    results = []
    with connect(warehouse_url) as conn:
        ensure_ops_tables(conn)
        conn.execute(DDL)
        for section, table in TABLES.items():
            result = TableLoadResult(SOURCE, table.name)
            result.cursor_before = read_cursor(conn, SOURCE, table.name)
            result.cursor_after = {"sha256": digest}
            if result.cursor_before != result.cursor_after:
                rows = sections[section]
                result.deleted = conn.execute(f"DELETE FROM raw_costs.{table.name}").rowcount  # noqa: S608
                columns = [*table.key, *table.prices, "effective_from", "effective_to"]
                with conn.cursor().copy(
                    f"COPY raw_costs.{table.name} ({', '.join(columns)}, _loaded_at) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns] + ["now"])
                result.inserted = len(rows)
                write_cursor(conn, SOURCE, table.name, result.cursor_after)
            write_audit(conn, load_id, result)
            results.append(result)
        conn.commit()
    return results
