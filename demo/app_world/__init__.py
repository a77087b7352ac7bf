"""The demo app database: a deterministic, realistic stand-in for the product's operational PostgreSQL.

`generate_app_world` builds `days` of history ending at `as_of` (by default a few hours before now);
`advance_app_world` appends and updates the next hours, never past the current hour: a row stamped in the future
is one the loader quarantines. The simulation state lives in the `demo_meta` schema, not in `public`, because
ingestion copies every table of the app schema.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from psycopg import sql

from demo.app_world.sink import LOAD_ORDER, RowSink, ts
from demo.app_world.world import DAY, HOUR, Simulation, World, new_world
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
META_DDL = """
CREATE SCHEMA IF NOT EXISTS demo_meta;
CREATE TABLE IF NOT EXISTS demo_meta.world (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    state bytea NOT NULL,
    meta jsonb NOT NULL
);
"""
EXPORT_LOG_RETENTION_DAYS = 30
# A world generated "now" ends this many hours back, so `reelhouse demo advance` has past hours to simulate.
HOURS_BEHIND_NOW = 3
# Rows found by a column other than id when they change.
UPDATE_KEYS = {"user_credits": "user_id"}

__all__ = ["advance_app_world", "generate_app_world", "world_exists"]


def world_exists(app_url: str) -> bool:
    """True once a world has been generated into this database."""
    with connect(app_url) as conn:
        found = conn.execute("SELECT to_regclass('demo_meta.world') IS NOT NULL").fetchone()[0]
        return bool(found and conn.execute("SELECT count(*) FROM demo_meta.world").fetchone()[0])


def _summary(sink: RowSink, extra: str = "") -> str:
    total = sum(sink.written.values())
    tables = sum(1 for count in sink.written.values() if count)
    return f"{total:,} rows written in {tables} tables{extra}"


def generate_app_world(app_url: str, *, users: int, days: int, seed: int, progress=None,
                       as_of: datetime | None = None) -> str:
    """Drop and rebuild the app schema with `days` of history for about `users` users, ending at `as_of`, by
    default HOURS_BEHIND_NOW hours before the current hour."""
    if users < 10 or days < 1:
        raise ReelhouseError("the demo world needs at least 10 users and 1 day")
    end = _hour(as_of) if as_of else _hour(datetime.now(UTC)) - HOURS_BEHIND_NOW * HOUR
    start = end - days * DAY
    world = new_world(seed, start, users, days)
    with connect(app_url) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS demo_meta CASCADE")
        conn.execute("CREATE SCHEMA public")
        conn.execute(SCHEMA_SQL.read_text())
        conn.execute(META_DDL)
        sink = RowSink(conn)
        simulation = Simulation(world, sink)
        simulation.seed_population(users, start)
        task = progress.add_task("simulating app activity", total=days * 24) if progress else None
        simulation.run(end, progress, task)
        _finish(conn, simulation, sink)
        conn.execute("ANALYZE")
    until = datetime.fromtimestamp(end, UTC)
    return _summary(sink, f" ({len(world.a('user_id')):,} users, {days} days to {until:%Y-%m-%d %H:00} UTC)")


def _hour(moment: datetime) -> int:
    """The start of the hour `moment` falls in, in epoch seconds."""
    return int(moment.timestamp()) // HOUR * HOUR


def advance_app_world(app_url: str, *, hours: int, progress=None, now: datetime | None = None) -> str:
    """Append and update the next `hours` of activity after the world's clock; only hours that have passed (up to
    the start of the current hour of `now`, the wall clock by default): refused, changing nothing, past that."""
    if hours < 1:
        raise ReelhouseError("advance needs at least 1 hour")
    with connect(app_url) as conn:
        if not world_exists(app_url):
            raise ReelhouseError("no demo world in this database yet: run `reelhouse demo generate` first")
        state, meta = conn.execute("SELECT state, meta::text FROM demo_meta.world").fetchone()
        world = World.loads(bytes(state), meta)
        limit = _hour(now or datetime.now(UTC))
        if world.clock + hours * HOUR > limit:
            at, until = datetime.fromtimestamp(world.clock, UTC), datetime.fromtimestamp(limit, UTC)
            room = max(0, (limit - world.clock) // HOUR)
            raise ReelhouseError(
                f"the demo world is at {at:%Y-%m-%d %H:%M} UTC and simulates only hours that have passed (to "
                f"{until:%Y-%m-%d %H:%M} UTC): " + (f"advance at most {room} hour(s) now, not {hours}" if room else
                                                    "nothing to add before the next hour begins"))
        conn.execute(SCHEMA_SQL.read_text())  # tables added since this world was generated (all IF NOT EXISTS)
        sink = RowSink(conn)
        simulation = Simulation(world, sink)
        task = progress.add_task(f"advancing {hours}h", total=hours) if progress else None
        simulation.run(world.clock + hours * HOUR, progress, task)
        _finish(conn, simulation, sink)
    return _summary(sink, f", {len(simulation.updates):,} rows updated")


def _finish(conn, simulation: Simulation, sink: RowSink) -> None:
    """Flush inserts, apply the coalesced updates, refresh counters, save the state: one transaction."""
    sink.flush()
    world = simulation.w
    # Counters the app keeps on rows; a change bumps updated_at like any other write.
    now = ts(world.clock)
    for template_id, count in world.template_usage.items():
        simulation.updates.setdefault(("templates", template_id), {}).update(usage_count=count, updated_at=now)
    for entry_id, _published, views in world.changelog[-3:]:
        simulation.updates.setdefault(("changelog_entries", entry_id), {}).update(view_count=views, updated_at=now)
    _apply_updates(conn, simulation.updates)
    # The app's nightly cron (the Creator Dashboard doc, 02:00 UTC) deletes export logs older than 30 days: as its last
    # run did.
    last_cleanup = (world.clock - 2 * HOUR) // DAY * DAY + 2 * HOUR
    conn.execute("DELETE FROM export_logs WHERE created_at < %s", (ts(last_cleanup - EXPORT_LOG_RETENTION_DAYS * DAY),))
    blob, meta = world.dumps()
    conn.execute(
        "INSERT INTO demo_meta.world (state, meta) VALUES (%s, %s) "
        "ON CONFLICT (singleton) DO UPDATE SET state = excluded.state, meta = excluded.meta",
        (blob, meta),
    )
    conn.commit()


def _apply_updates(conn, updates: dict[tuple[str, int], dict]) -> None:
    """One UPDATE statement per (table, set of columns), executed for all its rows in a batch."""
    grouped: dict[tuple[str, tuple[str, ...]], list[tuple]] = defaultdict(list)
    for (table, row_id), values in updates.items():
        columns = tuple(sorted(values))
        grouped[(table, columns)].append((*[values[column] for column in columns], row_id))
    with conn.cursor() as cursor:
        for table in LOAD_ORDER:
            for (name, columns), rows in grouped.items():
                if name != table:
                    continue
                statement = sql.SQL("UPDATE {table} SET {assignments} WHERE {key} = %s").format(
                    table=sql.Identifier(table),
                    assignments=sql.SQL(", ").join(
                        sql.SQL("{} = %s").format(sql.Identifier(column)) for column in columns
                    ),
                    key=sql.Identifier(UPDATE_KEYS.get(table, "id")),
                )
                cursor.executemany(statement, rows)
