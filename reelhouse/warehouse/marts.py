"""Write, audit, publish: readers only ever see marts that passed their checks.

dbt builds every mart into `marts_next`, which no reader can see; the dbt tests and the Great Expectations
suites audit it there; publishing then swaps the two schemas by renaming them in one transaction. Analysts,
Superset and the weekly email read `marts`, so a failed check or a failed model leaves them on the last good
numbers, and a reader sees either the old set of marts or the new one, never a mix.

Renaming a schema locks no table: queries already running finish on the tables they started with. Views keep
pointing at the same tables (PostgreSQL binds them by object, not by name).

The incremental models (the big facts) are not held twice. Their rows live once, in a table of `marts_store`, a
schema that is never swapped, as versions: a build inserts new versions (`built_at` = its stamp) and sets
`retired_at` = its stamp on the versions they supersede and on those of vanished entities; it never updates nor
deletes a row's data (dbt_project/macros/materializations/incremental.sql). What `marts_next.<model>` and
`marts.<model>` are is a view over that table showing the versions visible at the watermark of the view's own
schema, `<schema>._published`: `built_at <= w and (retired_at is null or retired_at > w)`. The view and its
watermark table are bound by object, so they move together when the schemas are renamed. The build schema's
watermark is 'infinity' (it sees the latest versions); publishing, in its one transaction, swaps the schemas, sets
the live schema's watermark to the published build's stamp and the build schema's to 'infinity', and deletes the
versions retired at or before the new watermark, which no one can see any more (PostgreSQL keeps them for the
queries already running). So readers see the last published build only: the versions of a build that failed its
checks (and was not published) are in the store table but invisible to them, and the next build that is published
shows them only after its own checks, which read every row written since the last publication (macro
get_where_subquery). Storage: one copy of each incremental table, plus the versions the builds since the last
publication wrote or retired; a full rebuild writes every row once more until it is published. Publishing costs
what changed: the deleted versions, not a copy.

The watermark is the newest stamp in the store tables (built_at or retired_at), read in the publishing
transaction, not a clock and not a stamp recorded by the build: it is what the build schema shows at that moment
in the data's own terms (a dbt host's clock ahead of the warehouse's cannot hide a build's rows, a build that
committed nothing but retirements is still covered, and a `reelhouse dbt build` by hand is published like the
pipeline's).

A model removed from the project (renamed, or replaced as the engagement facts were by their spells) leaves its
table behind: dbt never drops what it no longer builds. Given the names of every relation the project builds there,
publishing drops the others from the build schema before the swap, so readers stop seeing a table that no longer
changes the moment the first build without it is published (and the build schema loses its copy at the next
publication). One that something else depends on (a view of someone's own) is kept and said, never dropped with its
dependants. A store table whose model is gone goes the same way, once no view reads it any more: the publication
that drops the model's view from the build schema swaps the live one into the build schema, whose view still reads
the table, so the table is dropped by the publication after it (the one that drops that view too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from psycopg import errors, sql

from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import connect

LIVE_SCHEMA = "marts"
BUILD_SCHEMA = "marts_next"
STORE_SCHEMA = "marts_store"  # the incremental models' versioned tables: never swapped
WATERMARK_TABLE = "_published"  # in each mart schema: the one watermark its views over the store show
# In the store: when each incremental model's last build started (macro versioned_build_log). Plumbing, not a store
# table: publishing neither reads its stamps nor drops it.
BUILD_LOG_TABLE = "_builds"
_SWAP_SCHEMA = "marts_swap"
READER_ROLE = "analyst"


@dataclass(frozen=True)
class Publication:
    relations: int  # tables and views now live
    previous_relations: int  # what readers saw before, now in the build schema
    retired: list[str] = field(default_factory=list)  # relations no model builds any more, dropped before the swap
    watermark: datetime | None = None  # the stamp the live views now show (None: no incremental model yet)
    purged: dict[str, int] = field(default_factory=dict)  # store table: retired versions deleted


_KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}  # relkind: what DROP calls it


def _schema_relations(conn, schema: str, kinds: str = "rvmp") -> list[tuple[str, str]]:
    """(name, relkind) of the tables and views in `schema` (of `kinds`, pg_class relkinds), by name."""
    return conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind::text = ANY(%s) ORDER BY c.relname", (schema, list(kinds))).fetchall()


def _relations(conn, schema: str) -> int:
    """How many marts `schema` holds (its watermark table is plumbing, not a mart)."""
    return sum(name != WATERMARK_TABLE for name, _ in _schema_relations(conn, schema))


def _retire(conn, schema: str, built_by_models: set[str], progress: Callable[[str], None],
            quiet_when_kept: bool = False) -> list[str]:
    """Drop every table and view in `schema` that no model builds; returns what was dropped. One that other objects
    depend on is kept and said (`quiet_when_kept`: kept silently, as a store table still read by a view the next
    publication drops)."""
    retired = []
    for name, kind in _schema_relations(conn, schema):
        if name in built_by_models or name in (WATERMARK_TABLE, BUILD_LOG_TABLE):
            continue
        try:
            with conn.transaction():  # a savepoint: a refused drop keeps the publication going
                conn.execute(sql.SQL(f"DROP {_KINDS[kind]} {{}}").format(sql.Identifier(schema, name)))
        except errors.DependentObjectsStillExist:
            if not quiet_when_kept:
                progress(f"kept {schema}.{name}: no model builds it any more, but other objects depend on it")
            continue
        retired.append(name)
        progress(f"dropped {schema}.{name}: no model builds it any more")
    return retired


def store_tables(conn) -> list[str]:
    """The incremental models' versioned tables."""
    return [name for name, _ in _schema_relations(conn, STORE_SCHEMA, kinds="rp") if name != BUILD_LOG_TABLE]


def _newest_stamp(conn, tables: list[str]) -> datetime | None:
    """The newest build stamp in the store: every version a build wrote (built_at) or retired (retired_at).

    Both columns are indexed (macro versioned_index), so each max() is a backward index read."""
    if not tables:
        return None
    parts = [sql.SQL("SELECT max(built_at) AS stamp FROM {table} UNION ALL SELECT max(retired_at) FROM {table}")
             .format(table=sql.Identifier(STORE_SCHEMA, table)) for table in tables]
    return conn.execute(sql.SQL("SELECT max(stamp) FROM ({}) AS stamps").format(sql.SQL(" UNION ALL ").join(parts))
                        ).fetchone()[0]


def _set_watermark(conn, schema: str, watermark: datetime | str) -> None:
    table = sql.Identifier(schema, WATERMARK_TABLE)
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (watermark timestamptz NOT NULL)").format(table))
    # Plumbing, not a mart: the views read it as their owner; readers (and Superset's dataset list) do not see it.
    conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(table, sql.Identifier(READER_ROLE)))
    conn.execute(sql.SQL("DELETE FROM {}").format(table))
    conn.execute(sql.SQL("INSERT INTO {} (watermark) VALUES (%s)").format(table), (watermark,))


def publish_marts(transformer_url: str, progress: Callable[[str], None] = lambda _: None,
                  built_by_models: Iterable[str] | None = None) -> Publication:
    """Make the audited build the live marts, and the live marts the next build's starting point: swap the two
    schemas, move the watermarks (the live views show the newest stamp in the store, the build schema's the latest
    versions) and delete the versions no view can show any more (see the module's docstring). With
    `built_by_models` (every relation the project builds in the build schema), the others are dropped from it
    first. The one way marts are published: the pipeline's publish step and `reelhouse db publish-marts`."""
    ident = sql.Identifier
    models = set(built_by_models) if built_by_models is not None else None
    with connect(transformer_url) as conn, conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '60s'")
        built, live = _relations(conn, BUILD_SCHEMA), _relations(conn, LIVE_SCHEMA)
        if built == 0:
            raise ReelhouseError(f"nothing to publish: schema {BUILD_SCHEMA} has no marts (run dbt build first)")
        retired = _retire(conn, BUILD_SCHEMA, models, progress) if models is not None else []
        has_store = conn.execute("SELECT to_regnamespace(%s)", (STORE_SCHEMA,)).fetchone()[0] is not None
        tables = store_tables(conn) if has_store else []
        watermark = _newest_stamp(conn, tables)
        for old, new in ((LIVE_SCHEMA, _SWAP_SCHEMA), (BUILD_SCHEMA, LIVE_SCHEMA), (_SWAP_SCHEMA, BUILD_SCHEMA)):
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(ident(old), ident(new)))
        # Schema access moves with the names; table privileges are granted in both schemas by `reelhouse db init`.
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(LIVE_SCHEMA), ident(READER_ROLE)))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(ident(BUILD_SCHEMA), ident(READER_ROLE)))
        if models is not None and has_store:  # after the swap: the old live view may still read one
            gone = _retire(conn, STORE_SCHEMA, models, progress, quiet_when_kept=True)
            tables = [table for table in tables if table not in gone]
        purged = {}
        if watermark is not None:
            _set_watermark(conn, LIVE_SCHEMA, watermark)
            _set_watermark(conn, BUILD_SCHEMA, "infinity")
            for table in tables:
                purged[table] = conn.execute(sql.SQL("DELETE FROM {} WHERE retired_at <= %s").format(
                    ident(STORE_SCHEMA, table)), (watermark,)).rowcount
            progress(f"live views now show the build stamped {watermark.isoformat()}; deleted "
                     f"{sum(purged.values()):,} retired versions from {STORE_SCHEMA}")
    return Publication(relations=built - len(retired), previous_relations=live, retired=retired,
                       watermark=watermark, purged=purged)
