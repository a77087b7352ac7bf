"""Which rows the hourly row checks must read: those landed since the last published build.

Two kinds of check are narrowed: dbt's row tests on staging views and incremental models
(`dbt_project/macros/tests/get_where_subquery.sql`, when REELHOUSE_TESTS_LANDED_SINCE is set) and the raw tables' GX
row expectations (`expectations/runner.py`, given `landed_since`); this module decides whether they may be. The dbt
step tags its run with a fingerprint of what audits rows (the dbt project and the GX suites); publishing records, on
the published_marts materialization, when the published run started (every row that had landed by then was there for
that build's checks, which all passed) and that fingerprint. The next hourly run narrows its checks to the rows
landed since then only when it has the same fingerprint: a new or changed test, model, macro or suite reads every
row once. A full rebuild, a warehouse the pipeline never published, and dbt run by hand check every row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from dagster import AssetKey, DagsterInstance

from expectations.suite import SUITES_DIR

PUBLISHED_MARTS = AssetKey("published_marts")
LANDED_SINCE_ENV = "REELHOUSE_TESTS_LANDED_SINCE"
FINGERPRINT = "reelhouse/audit_fingerprint"  # the run tag and the publication metadata
LANDED_BEFORE = "audited_rows_landed_before"
# What a node's tests depend on; the rest of a manifest node (parse time, paths) changes without changing them.
_NODE_FIELDS = ("checksum", "raw_code", "config", "test_metadata", "columns", "depends_on", "attached_node")


def audit_fingerprint(manifest_path: Path, suites_dir: Path = SUITES_DIR) -> str:
    """A digest of every model, test and project macro as dbt parsed them (read again when the manifest changes)
    and of every GX suite file."""
    suites = hashlib.sha256()
    for path in sorted(suites_dir.glob("*.yml")):
        suites.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hashlib.sha256((_fingerprint(manifest_path, manifest_path.stat().st_mtime_ns) + suites.hexdigest())
                          .encode()).hexdigest()


def incremental_lookback(project_dir: Path) -> timedelta:
    """The dbt project's `incremental_lookback_hours`: how much earlier than the last build incremental models and
    narrowed checks start reading, so a row stamped just before it but committed after is not missed."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    return timedelta(hours=float(config["vars"]["incremental_lookback_hours"]))


@cache
def _fingerprint(manifest_path: Path, _modified: int) -> str:
    manifest = json.loads(manifest_path.read_text())
    project = manifest["metadata"].get("project_name")
    parts = {uid: [node.get(key) for key in _NODE_FIELDS] for uid, node in manifest["nodes"].items()}
    parts |= {uid: macro["macro_sql"] for uid, macro in manifest["macros"].items()
              if macro["package_name"] == project}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def publication_record(instance: DagsterInstance, run_id: str) -> dict[str, str]:
    """Metadata for the published_marts materialization: what the build just published has tested. Empty when no dbt
    step of this run tagged the project it built (the next run then tests every row)."""
    record = instance.get_run_record_by_id(run_id)
    fingerprint = record.dagster_run.tags.get(FINGERPRINT) if record else None
    if not record or not record.start_time or not fingerprint:
        return {}
    return {LANDED_BEFORE: datetime.fromtimestamp(record.start_time, UTC).isoformat(), FINGERPRINT: fingerprint}


def landed_since(instance: DagsterInstance, fingerprint: str) -> datetime | None:
    """The start of the last published run, if it ran this project; None: test every row."""
    event = instance.get_latest_materialization_event(PUBLISHED_MARTS)
    materialization = event.asset_materialization if event else None
    if materialization is None:
        return None
    metadata = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
    if metadata.get(FINGERPRINT) != fingerprint or not metadata.get(LANDED_BEFORE):
        return None
    return datetime.fromisoformat(str(metadata[LANDED_BEFORE]))
