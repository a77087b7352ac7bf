"""Write, audit, publish: readers only ever see marts that passed their checks.

dbt builds every mart into `marts_next`, which no reader can see; the dbt tests and the Great Expectations
suites audit it there; publishing then swaps the two schemas by renaming them in one transaction. Analysts,
Superset and the weekly email read `marts`, so a failed check or a failed model leaves them on the last good
numbers, and a reader sees either the old set of marts or the new one, never a mix.

Renaming a schema locks no table: queries already running finish on the tables they started with. Views keep
pointing at the same tables (PostgreSQL binds them by object, not by name). After a swap `marts_next` holds the
previous marts, and incremental models there catch up on their next build through their lookback window.
"""

from __future__ import annotations

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
