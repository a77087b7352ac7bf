"""Write, audit, publish: readers only ever see marts that passed their checks.

dbt builds every mart into `marts_next`, which no reader can see; the dbt tests and the Great Expectations
suites audit it there; publishing then swaps the two schemas by renaming them in one transaction. Analysts,
Superset and the weekly email read `marts`, so a failed check or a failed model leaves them on the last good
numbers, and a reader sees either the old set of marts or the new one, never a mix.

Renaming a schema locks no table: queries already running finish on the tables they started with. Views keep
pointing at the same tables (PostgreSQL binds them by object, not by name). After a swap `marts_next` holds the
previous marts, and incremental models there catch up on their next build through their lookback window.

A full rebuild is the exception: it replaces every row (new model logic, or a full resync of the sources), and
the previous marts it leaves in `marts_next` still hold the old ones beyond the lookback. An incremental build on
them would publish those old rows again an hour later, and every other hour after. So once a rebuilt incremental
table is published, it is copied into `marts_next` (copy_to_build_schema): the next build starts from the rebuilt
rows, at the cost of a copy rather than of a second full build.

Which tables were rebuilt is detected, not told: dbt builds an incremental table anew (a new relation, a new OID)
only when it rebuilds it in full (`--full-refresh`, the `full_rebuild` job, a first build, an old table missing a
column) and merges into the same relation otherwise. Each publication notes, in a comment on the build schema, the
OID of every incremental table it leaves there; the next publication copies the ones whose OID changed since. So the
pipeline's publish step and `reelhouse db publish-marts` after a `reelhouse dbt build --full-refresh` behave the
same: one function, publish_marts, does the swap and the copy for both.

A model removed from the project (renamed, or replaced as the engagement facts were by their spells) leaves its
table behind: dbt never drops what it no longer builds. Given the names of every relation the project builds there,
publishing drops the others from the build schema before the swap, so readers stop seeing a table that no longer
changes the moment the first build without it is published (and the build schema loses its copy at the next
publication). One that something else depends on (a view of someone's own) is kept and said, never dropped with its
dependants.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from psycopg import errors, sql

from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

LIVE_SCHEMA = "marts"
BUILD_SCHEMA = "marts_next"
_SWAP_SCHEMA = "marts_swap"
READER_ROLE = "analyst"
_RECORD_KEY = "reelhouse_incremental_oids"  # in the build schema's comment: {table: oid} left there by a publication


@dataclass(frozen=True)
class Publication:
    relations: int  # tables and views now live
    previous_relations: int  # what readers saw before, now in the build schema
    copied: list[str] = field(default_factory=list)  # rebuilt incremental tables copied back into the build schema
    retired: list[str] = field(default_factory=list)  # relations no model builds any more, dropped before the swap


def _relations(conn, schema: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p')", (schema,)).fetchone()[0]


def _oids(conn, schema: str, tables: Iterable[str]) -> dict[str, int]:
    """The OID of each of these tables that exists in the schema."""
    found = {table: conn.execute("SELECT to_regclass(%s)::oid", (f"{schema}.{table}",)).fetchone()[0]
             for table in tables}
    return {table: int(oid) for table, oid in found.items() if oid is not None}


def _recorded_oids(conn, schema: str) -> dict[str, int]:
    comment = conn.execute("SELECT obj_description(to_regnamespace(%s), 'pg_namespace')", (schema,)).fetchone()[0]
    try:
        return {str(table): int(oid) for table, oid in json.loads(comment or "{}").get(_RECORD_KEY, {}).items()}
    except (ValueError, AttributeError):  # someone else's comment: nothing known, every table counts as rebuilt
        return {}


def _record_oids(conn, schema: str, oids: dict[str, int]) -> None:
    conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
        sql.Identifier(schema), sql.Literal(json.dumps({_RECORD_KEY: oids}, sort_keys=True))))


def _retire(conn, schema: str, built_by_models: set[str], progress: Callable[[str], None]) -> list[str]:
    """Drop every table and view in `schema` that no model builds; returns what was dropped."""
    found = conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY c.relname", (schema,)).fetchall()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
    retired = []
    for name, kind in found:
        if name in built_by_models:
            continue
        try:
            with conn.transaction():  # a savepoint: a refused drop keeps the publication going
                conn.execute(sql.SQL(f"DROP {kinds[kind]} {{}}").format(sql.Identifier(schema, name)))
        except errors.DependentObjectsStillExist:
            progress(f"kept {schema}.{name}: no model builds it any more, but other objects depend on it")
            continue
        retired.append(name)
        progress(f"dropped {schema}.{name}: no model builds it any more")
    return retired


def publish_marts(transformer_url: str, incremental_tables: Iterable[str] = (),
                  progress: Callable[[str], None] = lambda _: None,
                  built_by_models: Iterable[str] | None = None) -> Publication:
    """Make the audited build the live marts (and the live marts the next build's starting point); then copy each
    of `incremental_tables` that this build rebuilt in full back into the build schema, so the next incremental
    build continues from the rebuilt rows (see the module's docstring). With `built_by_models` (every relation the
    project builds in the build schema), the others are dropped from it first. The one way marts are published."""
    ident = sql.Identifier
    incremental_tables = list(incremental_tables)
    with connect(transformer_url) as conn, conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '60s'")
        built, live = _relations(conn, BUILD_SCHEMA), _relations(conn, LIVE_SCHEMA)
        if built == 0:
            raise ReelhouseError(f"nothing to publish: schema {BUILD_SCHEMA} has no marts (run dbt build first)")
        retired = _retire(conn, BUILD_SCHEMA, set(built_by_models), progress) if built_by_models is not None else []
        left_there = _recorded_oids(conn, BUILD_SCHEMA)
        rebuilt = [table for table, oid in _oids(conn, BUILD_SCHEMA, incremental_tables).items()
                   if left_there.get(table) != oid]
        for old, new in ((LIVE_SCHEMA, _SWAP_SCHEMA), (BUILD_SCHEMA, LIVE_SCHEMA), (_SWAP_SCHEMA, BUILD_SCHEMA)):
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(ident(old), ident(new)))
        # Schema access moves with the names; table privileges are granted in both schemas by `reelhouse db init`.
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(LIVE_SCHEMA), ident(READER_ROLE)))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(ident(BUILD_SCHEMA), ident(READER_ROLE)))
    copied = copy_to_build_schema(transformer_url, rebuilt, progress) if rebuilt else []
    if incremental_tables:
        with connect(transformer_url) as conn, conn.transaction():
            _record_oids(conn, BUILD_SCHEMA, _oids(conn, BUILD_SCHEMA, incremental_tables))
    return Publication(relations=built - len(retired), previous_relations=live, copied=copied, retired=retired)


def copy_to_build_schema(transformer_url: str, tables: Iterable[str],
                         progress: Callable[[str], None] = lambda _: None) -> list[str]:
    """Replace the build schema's copy of each (incremental) table with the live one, indexes built after the rows.

    The stale tables are dropped first, in one transaction, so that a copy failing half-way (a full disk) leaves
    the table missing, which the next build makes from scratch, never stale. Returns the tables copied."""
    ident = sql.Identifier
    with connect(transformer_url) as conn:
        live = [table for table in tables
                if conn.execute("SELECT to_regclass(%s)", (f"{LIVE_SCHEMA}.{table}",)).fetchone()[0] is not None]
    with connect(transformer_url) as conn, conn.transaction():
        for table in live:  # views on them in the build schema go too: every build recreates its views
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(ident(BUILD_SCHEMA, table)))
    copied = []
    for table in live:
        source, target = ident(LIVE_SCHEMA, table), ident(BUILD_SCHEMA, table)
        with connect(transformer_url) as conn, conn.transaction():
            indexes = [row[0] for row in conn.execute(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
                (f"{LIVE_SCHEMA}.{table}",)).fetchall()]
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                         .format(target, source))
            rows = conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(target, source)).rowcount
            for definition in indexes:  # "CREATE INDEX name ON marts.table USING ...": the same, on the copy
                conn.execute(definition.replace(f" ON {LIVE_SCHEMA}.", f" ON {BUILD_SCHEMA}.", 1))
            conn.execute(sql.SQL("ANALYZE {}").format(target))
        copied.append(table)
        progress(f"copied {LIVE_SCHEMA}.{table} into {BUILD_SCHEMA} ({rows:,} rows, {len(indexes)} indexes)")
    return copied
