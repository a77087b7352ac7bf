"""Reading table shapes from PostgreSQL and keeping raw_app in step with the source (schema drift)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

METADATA_COLUMNS = ("_loaded_at", "_load_id", "_deleted_in_source_at")


class SchemaDriftError(Exception):
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
    """The raw copy: source columns and types, load metadata, the same primary key (no other constraints)."""
    ident = sql.Identifier
    definitions = [sql.SQL("{} {}").format(ident(c.name), sql.SQL(c.type)) for c in columns]
    definitions += [
        sql.SQL("_loaded_at timestamptz NOT NULL"),
        sql.SQL("_load_id uuid NOT NULL"),
        sql.SQL("_deleted_in_source_at timestamptz"),
        sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(map(ident, primary_key))),
    ]
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(ident(schema), ident(table), sql.SQL(", ").join(definitions))
    )
    conn.execute(sql.SQL("CREATE INDEX ON {}.{} (_loaded_at)").format(ident(schema), ident(table)))


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
