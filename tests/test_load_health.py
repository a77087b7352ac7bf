"""Freshness and row-count anomaly, computed from the loaders' audit in a real warehouse."""

from __future__ import annotations

import uuid

import pytest

from expectations.load_health import row_count_anomalies, source_freshness
from ingestion.common.ops import ensure_ops_tables
from reelhouse.warehouse import connect, role_url

SOURCE = "probe"


@pytest.fixture()
def audit(warehouse):
    """Factory writing ops.load_audit rows for the probe source: (table, rows, hours ago)."""
    with connect(role_url("loader"), autocommit=True) as conn:
        ensure_ops_tables(conn)

    def add(rows: list[tuple[str, int, float]]) -> None:
        with connect(role_url("loader"), autocommit=True) as conn:
            for table, count, hours_ago in rows:
                conn.execute(
                    "INSERT INTO ops.load_audit (load_id, source, table_name, status, rows_inserted, started_at,"
                    " finished_at, duration_seconds) VALUES (%s, %s, %s, 'ok', %s, now() - make_interval(secs => %s),"
                    " now() - make_interval(secs => %s), 1)",
                    (uuid.uuid4(), SOURCE, table, count, hours_ago * 3600 + 1, hours_ago * 3600),
                )

    yield add
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DELETE FROM ops.load_audit WHERE source = %s", (SOURCE,))


def test_a_table_landing_under_half_its_usual_rows_is_an_anomaly(audit):
    history = [(table, 1000, 24 * day + 2) for day in range(1, 9) for table in ("steady", "dropping")]
    audit([*history, ("steady", 900, 1), ("dropping", 300, 1)])
    with connect(role_url("transformer")) as conn:
        found = {a.table: a for a in row_count_anomalies(conn, SOURCE)}
    assert found["dropping"].is_anomaly and found["dropping"].trailing_median == 1000
    assert not found["steady"].is_anomaly
    assert "300 rows in the last 24 h" in found["dropping"].description


def test_without_a_week_of_history_nothing_is_flagged(audit):
    audit([("young", 1000, 30), ("young", 10, 1)])
    with connect(role_url("transformer")) as conn:
        (young,) = row_count_anomalies(conn, SOURCE)
    assert young.trailing_median is None and not young.is_anomaly


@pytest.mark.parametrize(("hours_ago", "status"), [(1, "fresh"), (3, "warn"), (7, "error")])
def test_freshness_follows_the_newest_landed_rows(audit, hours_ago, status):
    audit([("events", 0, 0.1), ("events", 50, hours_ago)])  # the newest load found nothing: it does not count
    with connect(role_url("transformer")) as conn:
        assert source_freshness(conn, SOURCE).status == status


def test_a_source_that_never_landed_anything_is_an_error(audit):
    with connect(role_url("transformer")) as conn:
        freshness = source_freshness(conn, "never_loaded")
    assert freshness.status == "error" and "nothing has ever landed" in freshness.description
