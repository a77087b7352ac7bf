"""Checks on how data arrives, read from the loaders' audit (ops.load_audit), not from the big raw tables.

Freshness: a source is stale when nothing new has landed from it for a while (its loads may still run
and find nothing — that is exactly the symptom). Row-count anomaly: a table's rows landed in the last
24 hours against the median of the seven days before.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import yaml

# The freshness thresholds live in ONE place, the dbt project (dbt_project.yml `sources: reelhouse: +freshness`):
# dbt's own `source freshness` applies them to raw_app and raw_stripe (the pipeline's source_freshness check runs it),
# and this module reads the same values for the weekly email and the checks' descriptions.
DBT_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml"


def freshness_thresholds(project_file: Path = DBT_PROJECT_FILE) -> tuple[timedelta, timedelta]:
    """(warn after, error after) as the dbt project declares them for every source."""
    declared = yaml.safe_load(project_file.read_text())["sources"]["reelhouse"]["+freshness"]

    def after(key: str) -> timedelta:
        return timedelta(**{f"{declared[key]['period']}s": declared[key]["count"]})  # minute | hour | day

    return after("warn_after"), after("error_after")


FRESHNESS_WARN_AFTER, FRESHNESS_ERROR_AFTER = freshness_thresholds()
ANOMALY_DROP = 0.5  # warn when the last 24 hours landed less than half the trailing daily median


@dataclass(frozen=True)
class Freshness:
    source: str
    newest_data_at: datetime | None
    age: timedelta | None
    status: str  # fresh, warn, error

    @property
    def description(self) -> str:
        if self.newest_data_at is None:
            return f"nothing has ever landed from {self.source}"
        hours = self.age.total_seconds() / 3600 if self.age else 0.0
        return f"newest {self.source} data landed {hours:.1f} h ago ({self.newest_data_at:%Y-%m-%d %H:%M} UTC)"


def source_freshness(conn: psycopg.Connection, source: str) -> Freshness:
    """When rows last landed (inserted or updated) from a source, and how that compares with the thresholds: the
    query of the source's `loaded_at_query` in dbt (staging/app, staging/stripe), so both say the same
    (tests/transform/test_source_freshness.py)."""
    newest, now = conn.execute(
        "SELECT max(finished_at), now() FROM ops.load_audit"
        " WHERE source = %s AND status = 'ok' AND rows_inserted + rows_updated > 0",
        (source,),
    ).fetchone()
    if newest is None:
        return Freshness(source, None, None, "error")
    age = now - newest
    status = "error" if age > FRESHNESS_ERROR_AFTER else "warn" if age > FRESHNESS_WARN_AFTER else "fresh"
    return Freshness(source, newest, age, status)


@dataclass(frozen=True)
class RowCountAnomaly:
    table: str
    last_24h: int
    trailing_median: float | None
    is_anomaly: bool

    @property
    def description(self) -> str:
        if self.trailing_median is None:
            return f"{self.table}: {self.last_24h:,} rows in 24 h; under 7 days of history, nothing to compare"
        return (f"{self.table}: {self.last_24h:,} rows in the last 24 h vs a daily median of "
                f"{self.trailing_median:,.0f} over the 7 days before")


def row_count_anomalies(conn: psycopg.Connection, source: str) -> list[RowCountAnomaly]:
    """Per table of the source: rows landed in the last 24 h vs the median of the 7 daily totals before it."""
    rows = conn.execute(
        """
        WITH days AS (SELECT generate_series(1, 7) AS days_back),
        tables AS (SELECT DISTINCT table_name FROM ops.load_audit WHERE source = %(source)s),
        landed AS (
            SELECT table_name,
                   floor(extract(epoch FROM now() - finished_at) / 86400)::int AS days_back,
                   sum(rows_inserted + rows_updated) AS rows
            FROM ops.load_audit
            WHERE source = %(source)s AND status = 'ok' AND finished_at > now() - interval '8 days'
            GROUP BY 1, 2
        ),
        history AS (SELECT min(finished_at) AS first_load FROM ops.load_audit WHERE source = %(source)s)
        SELECT tables.table_name,
               coalesce((SELECT rows FROM landed WHERE landed.table_name = tables.table_name
                         AND landed.days_back = 0), 0) AS last_24h,
               array_agg(coalesce(landed.rows, 0) ORDER BY days.days_back) AS previous_days,
               (SELECT first_load FROM history) < now() - interval '8 days' AS has_history
        FROM tables CROSS JOIN days
        LEFT JOIN landed ON landed.table_name = tables.table_name AND landed.days_back = days.days_back
        GROUP BY tables.table_name
        ORDER BY tables.table_name
        """,
        {"source": source},
    ).fetchall()
    anomalies = []
    for table, last_24h, previous_days, has_history in rows:
        median = float(statistics.median(previous_days)) if has_history else None
        is_anomaly = median is not None and median > 0 and last_24h < median * ANOMALY_DROP
        anomalies.append(RowCountAnomaly(table, int(last_24h), median, is_anomaly))
    return anomalies
