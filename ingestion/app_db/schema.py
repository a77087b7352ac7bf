"""Reading table shapes from PostgreSQL and keeping raw_app in step with the source (schema drift)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from reelhouse.errors import ReelhouseError

METADATA_COLUMNS = ("_loaded_at", "_load_id", "_deleted_in_source_at")


class SchemaDriftError(ReelhouseError):
    """A source change we will not follow automatically (a retyped or dropped column)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str


def list_tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        (schema,),
    ).fetchall()
    return [row[0] for row in rows]


def describe_table(conn: psycopg.Connection, schema: str, table: str) -> tuple[list[Column], list[str]]:
    """Columns in order with their full types, and the primary key columns ([] if none or no table)."""
    columns = [
        Column(name, type_name)
        for name, type_name in conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (f'"{schema}"."{table}"',),
        ).fetchall()
    ]
    primary_key = [
        row[0]
        for row in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            (f'"{schema}"."{table}"',),
        ).fetchall()
    ]
    return columns, primary_key


def create_raw_table(conn: psycopg.Connection, schema: str, table: str, columns: list[Column],
                     primary_key: list[str]) -> None:
    """The raw copy: source columns and types, load metadata, key columns NOT NULL (no other constraints).

    No indexes yet: a first load appends into the bare table, which is far cheaper than keeping
    its indexes up to date row by row; `ensure_raw_indexes` builds them once the rows are in.
    """
    ident = sql.Identifier
    definitions = [
        sql.SQL("{} {}{}").format(ident(c.name), sql.SQL(c.type),
                                  sql.SQL(" NOT NULL" if c.name in primary_key else ""))
        for c in columns
    ]
    definitions += [
        sql.SQL("_loaded_at timestamptz NOT NULL DEFAULT now()"),
        sql.SQL("_load_id uuid NOT NULL"),
        sql.SQL("_deleted_in_source_at timestamptz"),
    ]
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(ident(schema), ident(table), sql.SQL(", ").join(definitions))
    )


# Raw columns a mart's incremental run looks rows up by, beyond `_loaded_at`: fct_credit_transactions recomputes
# the running balance of every user with an entry landed since its last build, from all of that user's entries;
# scene_iteration_outcomes recounts the edits of every scene with an edit (or the scene) landed since;
# int_user_daily_activity rebuilds every day on which activity landed, from all of that day's rows;
# fct_user_engagement_spells reads the completed videos of the users it rebuilds; int_student_daily_activity
# rebuilds every student with a view, chat message or quiz attempt landed, from all of that student's rows;
# int_video_ready_visits rebuilds every video with a ready-page event landed, from all of that video's events.
READ_BY_MARTS = {
    "chat_messages": ("student_id",),
    "credit_transactions": ("user_id",),
    "exports": ("created_at",),
    "messages": ("created_at",),
    "quiz_attempts": ("student_id",),
    "scene_iterations": ("scene_id", "created_at"),
    "video_progress": ("student_id",),
    "video_ready_events": ("video_id",),
    "videos": ("created_at", "user_id"),
}


def ensure_raw_indexes(conn: psycopg.Connection, schema: str, table: str, primary_key: list[str],
                       cursor_column: str | None = None) -> None:
    """The source's primary key (the merge needs it), a `_loaded_at` index, for a table with a cursor
    column an index on (cursor column, key), and an index on each column of READ_BY_MARTS, each if missing.

    Building the key fails, naming the duplicate, should raw ever hold a key twice. The (updated_at, key) index
    lets the late-row check read raw's window of versions from the index instead of scanning raw (a hash
    anti-join over a 10M-row table took 3.3 s; through the index, 0.08 s).
    """
    ident = sql.Identifier
    raw = sql.SQL("{}.{}").format(ident(schema), ident(table))
    if not describe_table(conn, schema, table)[1]:
        conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
            raw, sql.SQL(", ").join(map(ident, primary_key))))
    wanted = {f"{table}__loaded_at_idx": ["_loaded_at"]}  # the name PostgreSQL gives an unnamed index on it
    if cursor_column:
        wanted[f"{table}__{cursor_column}_idx"] = [cursor_column, *primary_key]
    for column in READ_BY_MARTS.get(table, ()):
        wanted[f"{table}__{column}_idx"] = [column]
    for name, columns in wanted.items():
        if conn.execute("SELECT to_regclass(%s) IS NULL", (f'"{schema}"."{name}"',)).fetchone()[0]:
            conn.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(
                ident(name), raw, sql.SQL(", ").join(map(ident, columns))))


def set_loaded_at_default(conn: psycopg.Connection, schema: str, table: str) -> None:
    """`_loaded_at DEFAULT now()`, which a first load's COPY relies on (older raw tables lack it).

    Called for empty tables only (a first load), so its brief exclusive lock keeps no rows from anyone.
    """
    conn.execute(sql.SQL("ALTER TABLE {}.{} ALTER COLUMN _loaded_at SET DEFAULT now()").format(
        sql.Identifier(schema), sql.Identifier(table)))


def plan_drift(table: str, source: list[Column], raw: list[Column]) -> list[sql.Composable]:
    """ALTERs that add new source columns; raises naming the column on a type change or a drop."""
    raw_types = {c.name: c.type for c in raw}
    source_names = {c.name for c in source}
    for column in source:
        if column.name in raw_types and raw_types[column.name] != column.type:
            raise SchemaDriftError(
                f"{table}.{column.name} changed type from {raw_types[column.name]} to {column.type} in the source; "
                "migrate raw_app by hand (or run a full refresh after dropping the raw table)"
            )
    dropped = [name for name in raw_types if name not in source_names]
    if dropped:
        raise SchemaDriftError(
            f"{table}.{dropped[0]} was dropped (or renamed) in the source; raw_app keeps its history, "
            "so decide by hand how to migrate it"
        )
    return [
        sql.SQL("ALTER TABLE raw_app.{} ADD COLUMN {} {}").format(
            sql.Identifier(table), sql.Identifier(c.name), sql.SQL(c.type))
        for c in source if c.name not in raw_types
    ]
