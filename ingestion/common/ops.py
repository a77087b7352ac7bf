"""The ops schema: cursors, one audit row per table load, and quarantined rows with their reason."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from ingestion.common.errors import first_line, resource_shortage

OPS_DDL = """
CREATE TABLE IF NOT EXISTS ops.load_state (
    source      text NOT NULL,
    table_name  text NOT NULL,
    cursor      jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, table_name)
);
CREATE TABLE IF NOT EXISTS ops.load_audit (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    load_id           uuid NOT NULL,
    source            text NOT NULL,
    table_name        text NOT NULL,
    status            text NOT NULL CHECK (status IN ('ok', 'failed')),
    rows_inserted     bigint NOT NULL DEFAULT 0,
    rows_updated      bigint NOT NULL DEFAULT 0,
    rows_deleted      bigint NOT NULL DEFAULT 0,
    rows_quarantined  bigint NOT NULL DEFAULT 0,
    cursor_before     jsonb,
    cursor_after      jsonb,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz NOT NULL,
    duration_seconds  numeric(12, 3) NOT NULL,
    error             text
);
CREATE INDEX IF NOT EXISTS load_audit_table_time ON ops.load_audit (source, table_name, started_at);
CREATE TABLE IF NOT EXISTS ops.quarantine (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    load_id         uuid NOT NULL,
    source          text NOT NULL,
    table_name      text NOT NULL,
    primary_key     text,
    reason          text NOT NULL,
    payload         jsonb NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS quarantine_table ON ops.quarantine (source, table_name, quarantined_at);
-- The app loader's late-row check asks whether a key's version is already here.
CREATE INDEX IF NOT EXISTS quarantine_key ON ops.quarantine (source, table_name, primary_key);
"""


def ensure_ops_tables(conn: psycopg.Connection) -> None:
    """Create the ops tables if missing (run as the loader, which owns the ops schema).

    Two runs starting at once on a new warehouse would both try to create them (IF NOT EXISTS
    does not guard against that), so they take turns until the caller commits.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('reelhouse:ops_ddl', 0))")
    conn.execute(OPS_DDL)


def new_load_id() -> str:
    return str(uuid.uuid4())


@dataclass
class TableLoadResult:
    """What one table's load did; also the materialization metadata Dagster shows."""

    source: str
    table: str
    status: str = "ok"
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    quarantined: int = 0
    late: int = 0  # of the inserted/updated rows, those committed after the cursor had passed them (app tables)
    cursor_before: dict[str, Any] | None = None
    cursor_after: dict[str, Any] | None = None
    error: str | None = None
    # A load that succeeded but must be looked at (a Stripe events gap that forced a full resync): written to the
    # audit's `error` column of its ok row, so the data-health board shows it.
    warning: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def duration_seconds(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()


def read_cursor(conn: psycopg.Connection, source: str, table: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT cursor FROM ops.load_state WHERE source = %s AND table_name = %s", (source, table)
    ).fetchone()
    return row[0] if row else None


def write_cursor(conn: psycopg.Connection, source: str, table: str, cursor: dict[str, Any]) -> None:
    """Store the cursor; callers do this inside the transaction that wrote the data it covers."""
    conn.execute(
        "INSERT INTO ops.load_state (source, table_name, cursor, updated_at) VALUES (%s, %s, %s, now()) "
        "ON CONFLICT (source, table_name) DO UPDATE SET cursor = excluded.cursor, updated_at = now()",
        (source, table, json.dumps(cursor)),
    )


def write_audit(conn: psycopg.Connection, load_id: str, result: TableLoadResult) -> None:
    result.finished_at = result.finished_at or datetime.now(UTC)
    conn.execute(
        "INSERT INTO ops.load_audit (load_id, source, table_name, status, rows_inserted, rows_updated,"
        " rows_deleted, rows_quarantined, cursor_before, cursor_after, started_at, finished_at,"
        " duration_seconds, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (load_id, result.source, result.table, result.status, result.inserted, result.updated, result.deleted,
         result.quarantined, json.dumps(result.cursor_before), json.dumps(result.cursor_after), result.started_at,
         result.finished_at, result.duration_seconds, result.error or result.warning),
    )


def record_load(conn: psycopg.Connection, load_id: str, result: TableLoadResult, schema: str,
                log: logging.Logger) -> None:
    """Write a table load's audit row and commit it, then refresh the table's statistics if it changed a lot.

    A warehouse that refuses the audit row (out of disk space, say) fails the table's result, saying whether
    its rows went in, instead of ending the whole load; a lost connection still ends it (the caller says so).
    """
    try:
        write_audit(conn, load_id, result)
        conn.commit()
    except psycopg.Error as exc:
        if conn.broken:
            raise
        conn.rollback()
        shortage = resource_shortage(exc)
        why = f"the warehouse is {shortage[0]} ({shortage[1]})" if shortage else first_line(exc)
        result.error = (f"loaded (rows and cursor committed), but its ops.load_audit row could not be written: {why}"
                        if result.ok else f"{result.error}; its ops.load_audit row could not be written either")
        result.status = "failed"
        log.warning("%s table %s: %s", result.source, result.table, result.error)
        return
    try:
        if refresh_statistics(conn, schema, result.table, result):
            conn.commit()
    except psycopg.Error as exc:  # statistics only speed dbt up; autovacuum will catch up
        if conn.broken:
            raise
        conn.rollback()
        log.warning("%s table %s: ANALYZE failed: %s", result.source, result.table, first_line(exc))


# A load that changed at least this share of a table's rows refreshes its planner statistics itself.
ANALYZE_CHANGED_SHARE = 0.1


def refresh_statistics(conn: psycopg.Connection, schema: str, table: str, result: TableLoadResult) -> bool:
    """ANALYZE a raw table after a first load or a large change; returns whether it did.

    dbt runs straight after the load, and autovacuum may be minutes late: without statistics the planner
    once took 11 minutes over a join that takes 0.2 s with them.
    """
    changed = result.inserted + result.updated + result.deleted
    if not result.ok or changed == 0:
        return False
    row = conn.execute("SELECT c.reltuples FROM pg_class c WHERE c.oid = to_regclass(%s)",
                       (f"{schema}.{table}",)).fetchone()
    if row is None or (row[0] >= 0 and changed < ANALYZE_CHANGED_SHARE * row[0]):
        return False
    conn.execute(sql.SQL("ANALYZE {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
    return True
