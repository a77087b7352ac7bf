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
them would publish those old rows again an hour later, and every other hour after. So once a full rebuild is
published, its incremental tables are copied into `marts_next` (copy_to_build_schema): the next build starts
from the rebuilt rows, at the cost of a copy rather than of a second full build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from psycopg import sql

from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

LIVE_SCHEMA = "marts"
BUILD_SCHEMA = "marts_next"
_SWAP_SCHEMA = "marts_swap"
READER_ROLE = "analyst"


@dataclass(frozen=True)
class Publication:
    relations: int  # tables and views now live
    previous_relations: int  # what readers saw before, now in the build schema


def _relations(conn, schema: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p')", (schema,)).fetchone()[0]


def publish_marts(transformer_url: str) -> Publication:
    """Make the audited build the live marts (and the live marts the next build's starting point)."""
    ident = sql.Identifier
    with connect(transformer_url) as conn, conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '60s'")
        built, live = _relations(conn, BUILD_SCHEMA), _relations(conn, LIVE_SCHEMA)
        if built == 0:
            raise ReelhouseError(f"nothing to publish: schema {BUILD_SCHEMA} has no marts (run dbt build first)")
        for old, new in ((LIVE_SCHEMA, _SWAP_SCHEMA), (BUILD_SCHEMA, LIVE_SCHEMA), (_SWAP_SCHEMA, BUILD_SCHEMA)):
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(ident(old), ident(new)))
        # Schema access moves with the names; table privileges are granted in both schemas by `reelhouse db init`.
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(LIVE_SCHEMA), ident(READER_ROLE)))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(ident(BUILD_SCHEMA), ident(READER_ROLE)))
    return Publication(relations=built, previous_relations=live)


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
