"""Incremental, exactly-once load of every app table into raw_app.

Per table: one source query ordered by (updated_at, primary key) streams out with COPY TO STDOUT,
each row led by the first data contract it breaks (evaluated by the source as it reads). The rows
go on, unparsed, with COPY FROM STDIN in batches of `batch_rows` rows, each batch one warehouse
transaction: broken rows to ops.quarantine with their reason, the rest into raw, and the cursor
moved to the batch's last row. Into an empty raw table (a first load) the rows COPY straight in
and the key and `_loaded_at` indexes are built once at the end; otherwise they are staged and
merged on the primary key (newest version wins, unchanged rows are not rewritten). A load killed
anywhere therefore leaves each batch either fully applied with its cursor or not at all; the next
run builds any missing index, re-reads from the cursor minus the overlap window, and the merge
makes re-reads no-ops. A table's load holds an advisory lock, so two runs never load it at once.

Late rows. A transaction that stamps `updated_at` and commits more than the overlap window later (a long
transaction, a lagging replica, an app server whose clock is behind) leaves a row the cursor has already passed.
So, in the same source snapshot as the delta, each incremental load also reads the keys and `updated_at` of
the rows stamped within `late_window` (APP_LATE_ROW_WINDOW_HOURS, 24 h by default) before the overlap, compares
them with raw in the warehouse, and loads the few rows raw lacks or holds in another version (versions already
in ops.quarantine excepted) through the same batches and merge, leaving the cursor where it is. Only keys and
timestamps cross the wire, the source answers from its `(updated_at, id)` index and raw from its own index on
(updated_at, key), so the check stays in tenths of a second for a day's 100k keys at 10M rows (BENCHMARKS.md);
a row later than the window still needs a full refresh (`full_rebuild`).
"""
from __future__ import annotations

import itertools
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.abc import Buffer

from ingestion.app_db.contracts import Rule, rules_for
from ingestion.app_db.schema import (
    METADATA_COLUMNS,
    Column,
    SchemaDriftError,
    create_raw_table,
    describe_table,
    ensure_raw_indexes,
    list_tables,
    plan_drift,
    set_loaded_at_default,
)
from ingestion.common.errors import resource_shortage, warehouse_write_failure
from ingestion.common.ops import (
    TableLoadResult,
    ensure_ops_tables,
    new_load_id,
    read_cursor,
    record_load,
    write_cursor,
)
from reelhouse.config import get_settings, redact
from reelhouse.warehouse import connect

log = logging.getLogger(__name__)

SOURCE = "app"
RAW_SCHEMA = "raw_app"
CURSOR_COLUMN = "updated_at"
STAGE_WRITE_BYTES = 256 * 1024
KEPT_CONTRACTS = b"\\N\t"  # the leading contract verdict of a row that keeps them all


@dataclass(frozen=True)
class TableProgress:
    table: str
    rows: int
    done: bool = False


@dataclass(frozen=True)
class _TablePlan:
    """What every batch of one table load needs to know."""

    table: str
    names: list[str]
    primary_key: list[str]
    rules: list[Rule]
    append_only: bool  # the raw table was empty when this load began: nothing to merge with
    types: list[str] = field(default_factory=list)  # the source's column types, in `names` order

    @property
    def raw(self) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(RAW_SCHEMA), sql.Identifier(self.table))

    @property
    def cursor_column(self) -> str | None:
        return CURSOR_COLUMN if CURSOR_COLUMN in self.names else None

    @property
    def columns(self) -> sql.Composable:
        return sql.SQL(", ").join(map(sql.Identifier, self.names))


@dataclass
class _Batch:
    """One batch as it went into the warehouse."""

    rows: int = 0
    last_row: bytes = b""
    broken: list[bytes] = field(default_factory=list)  # whole source lines, contract reason first


def _decode_field(raw: bytes) -> str | None:
    return None if raw == b"\\N" else raw.decode()


def _write_in_blocks(copy_in: psycopg.Copy, rows: Iterable[Buffer]) -> None:
    """Pass COPY rows on in STAGE_WRITE_BYTES blocks: a driver call per row costs more than the row."""
    pending = bytearray()
    for row in rows:
        pending += row
        if len(pending) >= STAGE_WRITE_BYTES:
            copy_in.write(bytes(pending))
            pending.clear()
    copy_in.write(bytes(pending))


def _table_lock_key(table: str) -> str:
    return f"{SOURCE}:{RAW_SCHEMA}.{table}"


class AppTableLoader:
    def __init__(self, source: psycopg.Connection, warehouse: psycopg.Connection, source_schema: str,
                 load_id: str, batch_rows: int, overlap: timedelta, late_window: timedelta = timedelta(0)) -> None:
        self.source = source
        self.warehouse = warehouse
        self.source_schema = source_schema
        self.load_id = load_id
        self.batch_rows = batch_rows
        self.overlap = overlap
        self.late_window = late_window

    def load(self, table: str, full_refresh: bool, reconcile: bool,
             on_progress: Callable[[TableProgress], None] | None) -> TableLoadResult:
        """Load one table while holding its lock, so two runs never load the same table at once."""
        lock = (_table_lock_key(table),)
        self.warehouse.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", lock)
        try:
            return self._load_locked(table, full_refresh, reconcile, on_progress)
        finally:
            if not self.warehouse.broken:  # a lost connection has released the lock already
                self.warehouse.rollback()
                self.warehouse.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", lock)
                self.warehouse.commit()

    def _load_locked(self, table: str, full_refresh: bool, reconcile: bool,
                     on_progress: Callable[[TableProgress], None] | None) -> TableLoadResult:
        result = TableLoadResult(SOURCE, table)
        columns, primary_key = describe_table(self.source, self.source_schema, table)
        if not primary_key:
            raise SchemaDriftError(f"{table}: the source table has no primary key; it cannot be merged")
        names = [c.name for c in columns]
        self._prepare_raw(table, columns, primary_key)
        cursor = None if full_refresh else read_cursor(self.warehouse, SOURCE, table)
        result.cursor_before = cursor
        plan = _TablePlan(table, names, primary_key, rules_for(table, names, primary_key),
                          append_only=self._raw_is_empty(table), types=[c.type for c in columns])
        if plan.append_only:
            set_loaded_at_default(self.warehouse, RAW_SCHEMA, table)
        else:
            ensure_raw_indexes(self.warehouse, RAW_SCHEMA, table, primary_key, plan.cursor_column)
        self.warehouse.commit()
        copy_out, params = self._source_copy(plan, cursor)
        # A row stamped in the future (clock skew) is quarantined, and must not drag the cursor past
        # the source's present either, or every honest change until then would be skipped.
        source_now = datetime.fromisoformat(self.source.execute("SELECT now()::text").fetchone()[0])
        done_rows = 0
        with self.source.cursor() as source_cursor, source_cursor.copy(copy_out, params) as copy_stream:
            rows = iter(copy_stream)
            while (first := next(rows, None)) is not None:
                cursor, batch_rows = self._load_batch(plan, itertools.chain([first], rows), cursor, source_now,
                                                      result)
                done_rows += batch_rows
                if on_progress:
                    on_progress(TableProgress(table, done_rows))
        if plan.append_only:
            with self.warehouse.transaction():
                ensure_raw_indexes(self.warehouse, RAW_SCHEMA, table, primary_key, plan.cursor_column)
        if result.cursor_before and CURSOR_COLUMN in names and self.late_window > self.overlap:
            result.late = self._load_late_rows(plan, result.cursor_before, cursor, source_now, result)
        if reconcile:
            result.deleted = self._reconcile_deletes(table, primary_key)
        result.cursor_after = cursor
        if on_progress:
            on_progress(TableProgress(table, done_rows, done=True))
        return result

    def _source_copy(self, plan: _TablePlan, cursor: dict | None,
                     late: tuple[tuple, list[tuple]] | None = None) -> tuple[sql.Composable, list | None]:
        """COPY of the rows changed since the cursor (minus the overlap), oldest change first; or, given
        `late` (the late window and keys found in it), of those rows only.

        Each line starts with the first contract the row breaks (NULL when it keeps them all):
        the source judges the row while it reads it, so the warehouse only has to file it.
        """
        ident = sql.Identifier
        reason = sql.SQL("CASE {} END").format(sql.SQL(" ").join(
            sql.SQL("WHEN {} THEN {}").format(rule.predicate, sql.Literal(rule.reason)) for rule in plan.rules))
        query = sql.SQL("SELECT {reason}, {columns} FROM {schema}.{table}").format(
            reason=reason, columns=plan.columns, schema=ident(self.source_schema), table=ident(plan.table),
        )
        has_cursor_column = CURSOR_COLUMN in plan.names
        params: list | None = None
        if late:
            window, keys = late
            types = dict(zip(plan.names, plan.types, strict=True))
            query += sql.SQL(" WHERE {stamp} >= %s::timestamptz - %s::interval AND {stamp} < %s::timestamptz"
                             " - %s::interval AND ({key}) IN (SELECT * FROM unnest({arrays}))").format(
                stamp=ident(CURSOR_COLUMN), key=sql.SQL(", ").join(map(ident, plan.primary_key)),
                arrays=sql.SQL(", ").join(sql.SQL("%s::{}[]").format(sql.SQL(types[c])) for c in plan.primary_key))
            params = [*window, *([key[i] for key in keys] for i in range(len(plan.primary_key)))]
        elif cursor and has_cursor_column:
            query += sql.SQL(" WHERE {} >= %s::timestamptz - %s::interval").format(ident(CURSOR_COLUMN))
            params = [cursor[CURSOR_COLUMN], self.overlap]
        order = ([CURSOR_COLUMN] if has_cursor_column else []) + plan.primary_key
        query += sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(map(ident, order)))
        return sql.SQL("COPY ({}) TO STDOUT").format(query), params

    def _load_late_rows(self, plan: _TablePlan, cursor_before: dict, cursor: dict | None, source_now: datetime,
                        result: TableLoadResult) -> int:
        """Load rows stamped within the late window before the overlap that raw lacks or holds in another
        version (committed after the cursor had passed them); returns how many. The cursor stays put."""
        window = (cursor_before[CURSOR_COLUMN], self.late_window, cursor_before[CURSOR_COLUMN], self.overlap)
        keys = self._late_keys(plan, window)
        if not keys:
            return 0
        log.info("app table %s: %d row(s) committed after the cursor had passed them; loading them now",
                 plan.table, len(keys))
        copy_out, params = self._source_copy(plan, None, late=(window, keys))
        merge_plan = replace(plan, append_only=False)
        with self.source.cursor() as source_cursor, source_cursor.copy(copy_out, params) as copy_stream:
            rows = iter(copy_stream)
            while (first := next(rows, None)) is not None:
                self._load_batch(merge_plan, itertools.chain([first], rows), cursor, source_now, result,
                                 move_cursor=False)
        return len(keys)

    def _late_keys(self, plan: _TablePlan, window: tuple) -> list[tuple]:
        """Keys stamped within the window whose version raw lacks (nor has quarantined), read from the source
        as (key, updated_at) only and compared in the warehouse."""
        ident = sql.Identifier
        key_columns = sql.SQL(", ").join(map(ident, plan.primary_key))
        recent = sql.SQL("{}, {}").format(key_columns, ident(CURSOR_COLUMN))
        source_keys = sql.SQL(
            "COPY (SELECT {recent} FROM {schema}.{table} WHERE {stamp} >= %s::timestamptz - %s::interval"
            " AND {stamp} < %s::timestamptz - %s::interval) TO STDOUT"
        ).format(recent=recent, schema=ident(self.source_schema), table=ident(plan.table), stamp=ident(CURSOR_COLUMN))
        same_key = sql.SQL(" AND ").join(sql.SQL("t.{c} = r.{c}").format(c=ident(c)) for c in plan.primary_key)
        key_text = sql.SQL(" || ','  || ").join(sql.SQL("coalesce(r.{}::text, 'NULL')").format(ident(p))
                                                for p in plan.primary_key)
        with self.warehouse.transaction(), self.warehouse.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS _recent")
            cur.execute(sql.SQL("CREATE TEMP TABLE _recent ON COMMIT DROP AS SELECT {} FROM {} LIMIT 0")
                        .format(recent, plan.raw))
            with self.source.cursor() as source_cursor, source_cursor.copy(source_keys, window) as copy_out, \
                    cur.copy("COPY _recent FROM STDIN") as copy_in:
                _write_in_blocks(copy_in, copy_out)
            cur.execute("ANALYZE _recent")  # so the planner knows it holds a day's keys, not millions
            # A version raw holds lies in the same window, which raw's (updated_at, key) index reads.
            cur.execute(sql.SQL(
                "SELECT {keys} FROM _recent r WHERE NOT EXISTS (SELECT FROM {raw} t WHERE {same_key}"
                " AND t.{stamp} = r.{stamp} AND t.{stamp} >= %s::timestamptz - %s::interval"
                " AND t.{stamp} < %s::timestamptz - %s::interval)"
                " AND NOT EXISTS (SELECT FROM ops.quarantine q WHERE q.source = %s"
                " AND q.table_name = %s AND q.primary_key = {key_text}"
                " AND (q.payload ->> %s)::timestamptz = r.{stamp})"
            ).format(keys=sql.SQL(", ").join(sql.SQL("r.{}").format(ident(c)) for c in plan.primary_key),
                     raw=plan.raw, same_key=same_key, stamp=ident(CURSOR_COLUMN), key_text=key_text),
                (*window, SOURCE, plan.table, CURSOR_COLUMN))
            return cur.fetchall()

    def _raw_is_empty(self, table: str) -> bool:
        query = sql.SQL("SELECT NOT EXISTS (SELECT FROM {}.{})").format(sql.Identifier(RAW_SCHEMA),
                                                                         sql.Identifier(table))
        return self.warehouse.execute(query).fetchone()[0]

    def _prepare_raw(self, table: str, columns: list[Column], primary_key: list[str]) -> None:
        """Create the raw table, or add new source columns; stop on a retyped or dropped column."""
        existing, _ = describe_table(self.warehouse, RAW_SCHEMA, table)
        if not existing:
            create_raw_table(self.warehouse, RAW_SCHEMA, table, columns, primary_key)
            return
        for statement in plan_drift(table, columns, [c for c in existing if c.name not in METADATA_COLUMNS]):
            self.warehouse.execute(statement)

    def _load_batch(self, plan: _TablePlan, rows: Iterator[Buffer], cursor: dict | None,
                    source_now: datetime, result: TableLoadResult, move_cursor: bool = True) -> tuple[dict | None, int]:
        """Stream the next batch in, file its broken rows, apply it and its cursor: one transaction.

        A first load COPYs straight into the raw table; later loads stage the batch and merge it.
        Returns the cursor after the batch (unchanged for late rows, which lie behind it) and the batch's row count.
        """
        with self.warehouse.transaction(), self.warehouse.cursor() as cur:
            target = plan.raw if plan.append_only else self._create_stage(cur, plan)
            batch = self._copy_rows(cur, target, plan, rows)
            if batch.broken:
                result.quarantined += self._quarantine(cur, plan, batch.broken)
            if plan.append_only:
                result.inserted += batch.rows - len(batch.broken)
            else:
                inserted, updated = self._merge(cur, plan)
                result.inserted += inserted
                result.updated += updated
            if not move_cursor:
                return cursor, batch.rows
            new_cursor = self._cursor_after(plan, batch.last_row, cursor, source_now)
            write_cursor(self.warehouse, SOURCE, plan.table, new_cursor)
        return new_cursor, batch.rows

    def _create_stage(self, cur: psycopg.Cursor, plan: _TablePlan) -> sql.Composable:
        cur.execute("DROP TABLE IF EXISTS _stage")
        cur.execute(sql.SQL("CREATE TEMP TABLE _stage ON COMMIT DROP AS SELECT {}, _load_id FROM {} LIMIT 0")
                    .format(plan.columns, plan.raw))
        return sql.SQL("_stage")

    def _copy_rows(self, cur: psycopg.Cursor, target: sql.Composable, plan: _TablePlan,
                   rows: Iterator[Buffer]) -> _Batch:
        """COPY source rows into `target` while they arrive, until the batch is full.

        Passing rows on as they come lets the source and the warehouse work at the same time;
        they go in blocks of STAGE_WRITE_BYTES, because a driver call per row costs more than the
        row. COPY TO sends exactly one message per row, so a chunk is a row. A row that keeps its
        contracts loses its leading NULL verdict and gains this load's id (_loaded_at is the
        column's default, now(): the batch transaction's start); a broken one is kept aside whole.
        """
        suffix = f"\t{self.load_id}\n".encode()
        batch = _Batch()
        row: Buffer = b""
        pending = bytearray()
        copy_sql = sql.SQL("COPY {} ({}, _load_id) FROM STDIN").format(target, plan.columns)
        with cur.copy(copy_sql) as copy_in:
            for row in rows:
                if row[:3] == KEPT_CONTRACTS:
                    pending += row[3:-1]
                    pending += suffix
                else:
                    batch.broken.append(bytes(row))
                batch.rows += 1
                if len(pending) >= STAGE_WRITE_BYTES:
                    copy_in.write(bytes(pending))
                    pending.clear()
                if batch.rows >= self.batch_rows:
                    break
            copy_in.write(bytes(pending))
        batch.last_row = bytes(row).rstrip(b"\n")
        return batch

    def _cursor_after(self, plan: _TablePlan, last_row: bytes, cursor: dict | None,
                      source_now: datetime) -> dict | None:
        """The batch's last updated_at (never past the source's present) becomes the cursor."""
        new_cursor = dict(cursor or {})
        if CURSOR_COLUMN in plan.names:
            fields = last_row.split(b"\t")  # the contract verdict, then the columns
            if last_seen := _decode_field(fields[1 + plan.names.index(CURSOR_COLUMN)]):
                capped = min(datetime.fromisoformat(last_seen), source_now)
                new_cursor[CURSOR_COLUMN] = capped.isoformat(sep=" ")
        return new_cursor

    def _quarantine(self, cur: psycopg.Cursor, plan: _TablePlan, broken: list[bytes]) -> int:
        """File rows that break a contract in ops.quarantine with their reason and whole payload."""
        cur.execute("DROP TABLE IF EXISTS _broken")
        cur.execute(sql.SQL("CREATE TEMP TABLE _broken ON COMMIT DROP AS SELECT NULL::text AS _reason, {} "
                            "FROM {} LIMIT 0").format(plan.columns, plan.raw))
        with cur.copy("COPY _broken FROM STDIN") as copy_in:
            for line in broken:
                copy_in.write(line)
        pk = sql.SQL(" || ','  || ").join(sql.SQL("coalesce({}::text, 'NULL')").format(sql.Identifier(p))
                                          for p in plan.primary_key)
        cur.execute(
            sql.SQL("INSERT INTO ops.quarantine (load_id, source, table_name, primary_key, reason, payload) "
                    "SELECT %s, %s, %s, {pk}, _reason, to_jsonb(b) - '_reason' FROM _broken b").format(pk=pk),
            (self.load_id, SOURCE, plan.table),
        )
        return cur.rowcount

    def _merge(self, cur: psycopg.Cursor, plan: _TablePlan) -> tuple[int, int]:
        """Upsert staged rows on the key; unchanged rows are not rewritten. Returns (inserted, updated).

        One source query sees each key once, so a batch needs no de-duplication; the counts come
        back as one row rather than a flag per merged row.
        """
        ident = sql.Identifier
        changed = sql.SQL(" OR ").join(
            sql.SQL("t.{c} IS DISTINCT FROM excluded.{c}").format(c=ident(n)) for n in plan.names
        )
        cur.execute(
            sql.SQL(
                "WITH merged AS (INSERT INTO {raw} AS t ({cols}, _loaded_at, _load_id) "
                "SELECT {cols}, now(), _load_id FROM _stage "
                "ON CONFLICT ({pk}) DO UPDATE SET {assign}, _loaded_at = excluded._loaded_at, "
                "_load_id = excluded._load_id, _deleted_in_source_at = NULL WHERE {changed} "
                "RETURNING (xmax = 0) AS inserted) "
                "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged"
            ).format(
                raw=plan.raw, cols=plan.columns, pk=sql.SQL(", ").join(map(ident, plan.primary_key)),
                assign=sql.SQL(", ").join(sql.SQL("{c} = excluded.{c}").format(c=ident(n)) for n in plan.names),
                changed=changed,
            )
        )
        return cur.fetchone()

    def _reconcile_deletes(self, table: str, primary_key: list[str]) -> int:
        """Mark raw rows whose key is gone from the source (a hard delete), and unmark returners.

        Both land again (`_loaded_at`, `_load_id` of this load): a deletion and a return are changes, and the
        marts that rebuild only what landed since their last build (reading the base_ staging models, which keep
        deleted rows) would otherwise never see a row go or come back.
        """
        ident = sql.Identifier
        keys = sql.SQL(", ").join(map(ident, primary_key))
        raw = sql.SQL("{}.{}").format(ident(RAW_SCHEMA), ident(table))
        with self.warehouse.transaction(), self.warehouse.cursor() as cur:
            cur.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} AS SELECT {} FROM {} LIMIT 0").format(
                ident(f"_keys_{table}"), keys, raw))
            cur.execute(sql.SQL("TRUNCATE {}").format(ident(f"_keys_{table}")))
            with self.source.cursor() as source_cursor, cur.copy(
                sql.SQL("COPY {} FROM STDIN").format(ident(f"_keys_{table}"))
            ) as copy_in, source_cursor.copy(
                sql.SQL("COPY (SELECT {} FROM {}.{}) TO STDOUT").format(keys, ident(self.source_schema), ident(table))
            ) as copy_out:
                _write_in_blocks(copy_in, copy_out)
            match = sql.SQL(" AND ").join(sql.SQL("k.{c} = t.{c}").format(c=ident(p)) for p in primary_key)
            cur.execute(sql.SQL(
                "UPDATE {raw} t SET _deleted_in_source_at = now(), _loaded_at = now(), _load_id = %s "
                "WHERE _deleted_in_source_at IS NULL AND NOT EXISTS (SELECT 1 FROM {keys} k WHERE {match})"
            ).format(raw=raw, keys=ident(f"_keys_{table}"), match=match), (self.load_id,))
            deleted = cur.rowcount
            cur.execute(sql.SQL(
                "UPDATE {raw} t SET _deleted_in_source_at = NULL, _loaded_at = now(), _load_id = %s "
                "WHERE _deleted_in_source_at IS NOT NULL AND EXISTS (SELECT 1 FROM {keys} k WHERE {match})"
            ).format(raw=raw, keys=ident(f"_keys_{table}"), match=match), (self.load_id,))
        return deleted


def load_app_tables(
    source_url: str,
    warehouse_url: str,
    *,
    source_schema: str = "public",
    tables: list[str] | None = None,
    full_refresh: bool = False,
    reconcile: bool = False,
    overlap: timedelta = timedelta(minutes=10),
    late_window: timedelta | None = None,
    batch_rows: int = 50_000,
    workers: int = 2,
    on_progress: Callable[[TableProgress], None] | None = None,
) -> list[TableLoadResult]:
    """Load every (or the named) app table; a failing table is reported, the others still load.

    Tables load in parallel on `workers` connection pairs (one PostgreSQL backend each), largest
    first, so a 2-core machine keeps both cores busy. `late_window` (default: the
    APP_LATE_ROW_WINDOW_HOURS setting) is how far back an incremental load looks for late rows.
    """
    if late_window is None:
        late_window = get_settings().app_late_row_window
    load_id = new_load_id()
    with connect(source_url) as source, connect(warehouse_url) as warehouse:
        ensure_ops_tables(warehouse)
        warehouse.commit()
        available = list_tables(source, source_schema)
        sizes = dict(source.execute(
            "SELECT c.relname, c.relpages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s", (source_schema,)).fetchall())
    wanted = list(tables or available)
    by_size = sorted(wanted, key=lambda name: -sizes.get(name, 0))
    local = threading.local()
    opened: list[psycopg.Connection] = []

    def loader_of_this_thread() -> AppTableLoader:
        """Each worker keeps one source and one warehouse connection for all its tables."""
        if not hasattr(local, "loader"):
            source = connect(source_url)
            source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            source.read_only = True
            source.execute("SET TIME ZONE 'UTC'")
            source.commit()
            warehouse = connect(warehouse_url)
            warehouse.execute("SET TIME ZONE 'UTC'")
            warehouse.commit()
            opened.extend((source, warehouse))
            local.loader = AppTableLoader(source, warehouse, source_schema, load_id, batch_rows, overlap,
                                          late_window)
        return local.loader

    def load_one(table: str) -> TableLoadResult:
        loader = loader_of_this_thread()
        if table not in available:
            result = TableLoadResult(SOURCE, table, status="failed",
                                     error=f"{table}: no such table in the source schema {source_schema}")
        else:
            result = _load_table(loader, table, full_refresh, reconcile, on_progress)
        result.finished_at = datetime.now(UTC)
        _audit(loader, load_id, result)
        return result

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="app-load") as pool:
            finished = dict(zip(by_size, pool.map(load_one, by_size), strict=True))
    finally:
        for conn in opened:
            conn.close()
    return [finished[table] for table in wanted]


def _audit(loader: AppTableLoader, load_id: str, result: TableLoadResult) -> None:
    """Write the table's audit row, then refresh its statistics (ingestion.common.ops.record_load)."""
    record_load(loader.warehouse, load_id, result, RAW_SCHEMA, log)


def _load_table(loader: AppTableLoader, table: str, full_refresh: bool, reconcile: bool,
                on_progress: Callable[[TableProgress], None] | None) -> TableLoadResult:
    try:
        result = loader.load(table, full_refresh, reconcile, on_progress)
        loader.source.commit()
        return result
    except (SchemaDriftError, psycopg.Error) as exc:
        message = _failure_message(loader, table, exc)
        loader.warehouse.rollback()
        loader.source.rollback()
        log.warning("app table %s failed: %s", table, redact_urls(message))
        return TableLoadResult(SOURCE, table, status="failed", error=redact_urls(message))


def _failure_message(loader: AppTableLoader, table: str, exc: Exception) -> str:
    """The error's first line; for a server out of disk space, memory or connections (SQLSTATE class 53)
    also which server, which table and what became of the batch (called before the rollbacks)."""
    shortage = resource_shortage(exc)
    if shortage is None or _raised_by(exc) is not loader.source:
        return warehouse_write_failure(exc, RAW_SCHEMA, table)
    what, detail = shortage
    return (f"the app database is {what} reading {loader.source_schema}.{table} ({detail}); the batch in progress"
            " and its cursor were rolled back (committed batches are kept), run again once the server has room")


def _raised_by(exc: BaseException) -> psycopg.Connection | None:
    """The connection whose call raised a psycopg error: the innermost frame of a connection, cursor or COPY.

    (Rows stream from one server into the other, so either may fail inside the same batch; the error itself
    does not say which, and a failed write also cancels the source's COPY, so both transactions end aborted.)
    """
    for frame, _ in reversed(list(traceback.walk_tb(exc.__traceback__))):
        owner = frame.f_locals.get("self")
        conn = owner if isinstance(owner, psycopg.Connection) else getattr(owner, "connection", None)
        if isinstance(conn, psycopg.Connection):
            return conn
    return None


def redact_urls(message: str) -> str:
    """Errors from drivers can quote connection strings; never let a password through."""
    words = [redact(word) if "://" in word else word for word in message.split()]
    return " ".join(words)
