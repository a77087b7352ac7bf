"""Run a suite with Great Expectations 1.x against PostgreSQL and record the outcome.

GX is driven through its public API (SQL datasource -> table asset -> batch definition ->
validation definition -> checkpoint), so Data Docs are built as a side effect of each run.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from expectations.suite import ExpectationSpec, Suite
from reelhouse.config import get_settings
from reelhouse.warehouse import connect

log = logging.getLogger(__name__)
CONNECTION_VARIABLE = "REELHOUSE_GX_WAREHOUSE_URL"
DOCS_RETENTION_DAYS = 14  # Data Docs keep two weeks of validation history
# The Data Docs index lists the newest results only (about ten hourly runs at ~20 suites a run): every suite's docs
# update reads each result the index lists, so an unbounded index made each suite slower the longer the history
# (0.9 ms a result; DOCS_RETENTION_DAYS of hourly runs is ~6,400 results; BENCHMARKS.md). Older pages stay until
# pruned, and ops.dq_results keeps every outcome.
DOCS_INDEX_RESULTS = 200
LANDED_COLUMN = "_loaded_at"  # the loaders stamp it on every raw row they insert or update

@dataclass(frozen=True)
class ExpectationOutcome:
    spec: ExpectationSpec
    success: bool
    observed_value: Any
    unexpected_count: int | None


@dataclass(frozen=True)
class SuiteResult:
    suite: Suite
    outcomes: list[ExpectationOutcome]
    data_docs_url: str | None
    landed_since: datetime | None = None  # row expectations read only rows landed since then (None: every row)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.spec.blocking]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and not o.spec.blocking]


@functools.lru_cache(maxsize=4)
def _gx_context(project_root: Path, warehouse_url: str):
    """One file-mode GX context per process, project and warehouse: a pipeline run validates every suite in one
    process, and opening the project each time cost about as much as the validation itself. Keyed on the URL too,
    because the datasource keeps its engine, made from the URL it first saw behind the placeholder."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    project_root.mkdir(parents=True, exist_ok=True)
    _prune_history(project_root)
    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # results go to ops and Dagster
    _limit_docs_index(context)
    return gx, context


def _limit_docs_index(context, limit: int = DOCS_INDEX_RESULTS) -> None:
    """Cap the results each Data Docs site lists on its index (GX's `validation_results_limit`), once per project."""
    sites = context.variables.data_docs_sites or {}
    for name, site in sites.items():
        index = dict(site.get("site_index_builder") or {"class_name": "DefaultSiteIndexBuilder"})
        if index.get("validation_results_limit") != limit:
            index["validation_results_limit"] = limit
            context.update_data_docs_site(name, {**site, "site_index_builder": index})


def _prune_history(project_root: Path, days: int = DOCS_RETENTION_DAYS) -> None:
    """Drop validation results and their Data Docs pages older than `days`: an hourly pipeline adds some twenty
    files an hour, and every Data Docs build lists their keys (ops.dq_results keeps every outcome for good)."""
    cutoff = time.time() - days * 86_400
    uncommitted = project_root / "gx" / "uncommitted"
    for folder in (uncommitted / "validations", uncommitted / "data_docs" / "local_site" / "validations"):
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders that hold them
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def _gx_expectation(gx, spec: ExpectationSpec, schema: str):
    if spec.expect == "unexpected_rows":
        kwargs = {**spec.kwargs, "unexpected_rows_query": spec.kwargs["unexpected_rows_query"].replace(
            "{schema}", schema)}
        return gx.expectations.UnexpectedRowsExpectation(description=spec.description, **kwargs)
    from great_expectations.expectations.registry import get_expectation_impl

    implementation = get_expectation_impl(f"expect_{spec.expect}")
    return implementation(**spec.kwargs)


def _sqlalchemy_url_for_gx(url: str) -> str:
    """GX's PostgreSQL datasource speaks psycopg2 (installed with dbt-postgres)."""
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def run_suite(suite: Suite, warehouse_url: str, run_id: str, schema: str | None = None,
              landed_since: datetime | None = None) -> SuiteResult:
    """Validate one table and append one ops.dq_results row per expectation.

    `schema` validates the suite's table in another schema (the pipeline audits marts in the build schema
    before publishing them); `{schema}` in a suite's SQL names the schema being validated. `landed_since` checks the
    row expectations on the rows whose LANDED_COLUMN is that late or later (and the rows sharing their key) only: an
    hourly run's raw tables, whose older rows an earlier run of the same suites passed. The others read every row.
    """
    schema = schema or suite.schema
    project_root = get_settings().home / "gx"
    gx, context = _gx_context(project_root, warehouse_url)
    datasource_name = "warehouse"
    # The project file keeps a placeholder; GX reads the URL, password included, from this process's environment.
    os.environ[CONNECTION_VARIABLE] = _sqlalchemy_url_for_gx(warehouse_url)
    connection = f"${{{CONNECTION_VARIABLE}}}"
    try:
        datasource = context.data_sources.get(datasource_name)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_postgres(name=datasource_name, connection_string=connection)
    if str(datasource.connection_string) != connection:
        # A project written before the placeholder holds the password: start it afresh (only Data Docs history
        # is lost; results live in ops.dq_results).
        shutil.rmtree(project_root)
        _gx_context.cache_clear()
        gx, context = _gx_context(project_root, warehouse_url)
        datasource = context.data_sources.add_postgres(name=datasource_name, connection_string=connection)

    if landed_since and not _has_landed_column(warehouse_url, schema, suite.table):
        landed_since = None
    key = suite.key
    narrows = [bool(landed_since) and spec.reads_landed_rows(key) for spec in suite.expectations]
    narrowed = [spec for spec, narrow in zip(suite.expectations, narrows, strict=True) if narrow]
    whole = [spec for spec, narrow in zip(suite.expectations, narrows, strict=True) if not narrow]
    parts = []  # (GX suite name, batch definition, specs)
    if whole:
        parts.append((suite.name, _whole_table_batch(datasource, schema, suite.table), whole))
    if narrowed:
        indexed = key is not None and _leads_an_index(warehouse_url, schema, suite.table, key)
        query = _landed_rows_query(schema, suite.table, key, landed_since, key_indexed=indexed)
        parts.append((f"{suite.name} (landed rows)", _query_batch(datasource, f"{schema}.{suite.table} landed", query),
                      narrowed))

    validations, spec_by_id = [], {}
    for name, batch, specs in parts:
        gx_suite = gx.ExpectationSuite(name=name)
        for spec in specs:
            gx_suite.add_expectation(_gx_expectation(gx, spec, schema))
        gx_suite = context.suites.add_or_update(gx_suite)
        spec_by_id |= {expectation.id: spec for expectation, spec in zip(gx_suite.expectations, specs, strict=True)}
        validations.append(context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)))
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"checkpoint {suite.name}",
            validation_definitions=validations,  # one checkpoint: Data Docs are rebuilt once for both batches
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = checkpoint.run()
    by_spec = {
        id(spec_by_id[result.expectation_config.id]): ExpectationOutcome(
            spec=spec_by_id[result.expectation_config.id],
            success=bool(result.success),
            observed_value=(result.result or {}).get("observed_value"),
            unexpected_count=(result.result or {}).get("unexpected_count"),
        )
        for validation_result in run.run_results.values()
        for result in validation_result.results
    }
    outcomes = [by_spec[id(spec)] for spec in suite.expectations]  # in the file's order
    _record(suite, outcomes, warehouse_url, run_id)
    sites = context.get_docs_sites_urls()
    return SuiteResult(suite, outcomes, sites[0]["site_url"] if sites else None, landed_since if narrowed else None)


def _whole_table_batch(datasource, schema: str, table: str):
    name = f"{schema}.{table}"
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_table_asset(name=name, table_name=table, schema_name=schema)
    return _whole_batch(asset)


def _query_batch(datasource, name: str, query: str):
    """A query asset's one batch; the asset is replaced when its query changes (every narrowed run)."""
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = None
    if asset is not None and asset.query != query:
        datasource.delete_asset(name)
        asset = None
    if asset is None:
        asset = datasource.add_query_asset(name=name, query=query)
    return _whole_batch(asset)


def _whole_batch(asset):
    """The asset's one batch: all it holds (a table, or a query's rows)."""
    try:
        return asset.get_batch_definition("whole_table")
    except KeyError:
        return asset.add_batch_definition_whole_table("whole_table")


def _landed_rows_query(schema: str, table: str, key: str | None, since: datetime, *, key_indexed: bool) -> str:
    """The rows landed since `since`, and every row that shares a key with one of them. On an indexed key,
    `= any(array(...))` looks the keys up in the index rather than hashing the whole table; without an index it
    would compare every row with every landed key (quadratic after a big reload), so `in (...)` hashes the keys
    and reads the table once (as dbt's scoped tests do, macros/tests/get_where_subquery.sql)."""
    landed = f"{LANDED_COLUMN} >= '{since.isoformat()}'::timestamptz"
    relation = f"{schema}.{table}"
    if key is None:
        return f"SELECT * FROM {relation} WHERE {landed}"  # noqa: S608  (names from the suite files, a datetime)
    keys = f"SELECT {key} FROM {relation} WHERE {landed}"  # noqa: S608
    sharing = f"{key} = any(array({keys}))" if key_indexed else f"{key} in ({keys})"
    return f"SELECT * FROM {relation} WHERE {sharing}"  # noqa: S608


def _leads_an_index(warehouse_url: str, schema: str, table: str, column: str) -> bool:
    """Whether some index of the table starts with `column` (a primary key's does)."""
    with connect(warehouse_url) as conn:
        return conn.execute(
            "SELECT 1 FROM pg_index AS i JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            " WHERE i.indrelid = to_regclass(%s) AND a.attname = %s", (f"{schema}.{table}", column)
        ).fetchone() is not None


def _has_landed_column(warehouse_url: str, schema: str, table: str) -> bool:
    with connect(warehouse_url) as conn:
        return conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
                            " AND column_name = %s", (schema, table, LANDED_COLUMN)).fetchone() is not None


def _record(suite: Suite, outcomes: list[ExpectationOutcome], warehouse_url: str, run_id: str) -> None:
    now = datetime.now(UTC)
    with connect(warehouse_url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO ops.dq_results (suite, expectation, target_table, success, blocking, observed_value,"
            " unexpected_count, run_id, checked_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    suite.name, o.spec.label, f"{suite.schema}.{suite.table}", o.success, o.spec.blocking,
                    None if o.observed_value is None else json.dumps(o.observed_value, default=str),
                    o.unexpected_count, run_id, now,
                )
                for o in outcomes
            ],
        )
