"""The dbt project as Dagster sees it: where it is, a fresh manifest, and how its nodes become assets."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from reelhouse.errors import ReelhouseError
from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# The prod target: the schemas the assets are keyed by and publishing swaps (profiles.yml; dev builds elsewhere).
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="prod")


def _newest_source_change() -> float:
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources if p.exists())


def prepare_manifest() -> Path:
    """`dbt parse` when the manifest is missing or older than any project file (no server needed).

    Processes starting at once take turns (a file lock), and the parse writes into a folder of its own whose
    files are then renamed into place, so no process ever reads a manifest another one is half-way writing.
    """
    manifest = dbt_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and manifest.stat().st_mtime >= _newest_source_change():
            return manifest
        _parse_into(manifest.parent)
    return manifest


def _parse_into(target: Path) -> None:
    from dbt.cli.main import dbtRunner

    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    previous = os.getcwd()
    try:
        os.chdir(DBT_PROJECT_DIR)
        result = dbtRunner().invoke(["parse", "--quiet", "--no-partial-parse", "--project-dir", str(DBT_PROJECT_DIR),
                                     "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "prod",  # assets' schemas
                                     "--target-path", str(scratch)])
        if not result.success:
            raise ReelhouseError(f"dbt parse failed: {result.exception or 'see dbt_project/logs/dbt.log'}")
        for written in scratch.iterdir():
            if written.is_file():
                os.replace(written, target / written.name)
    finally:
        os.chdir(previous)
        shutil.rmtree(scratch, ignore_errors=True)


def incremental_marts() -> list[str]:
    """The incremental models dbt builds in the build schema: views there, over their versioned tables in the store
    schema (reelhouse.warehouse.marts)."""
    nodes = json.loads(prepare_manifest().read_text())["nodes"].values()
    return sorted(node["alias"] or node["name"] for node in nodes if node["resource_type"] == "model"
                  and node["config"].get("materialized") == "incremental" and node["schema"] == BUILD_SCHEMA)


def incremental_models() -> list[str]:
    """Every incremental model, an intermediate one too: each holds its versions in a table of the store schema."""
    nodes = json.loads(prepare_manifest().read_text())["nodes"].values()
    return sorted(node["alias"] or node["name"] for node in nodes if node["resource_type"] == "model"
                  and node["config"].get("materialized") == "incremental")


def published_relations() -> list[str]:
    """Every relation the project's models build in the build schema, and the store table of every incremental
    model, an intermediate one too (what publishing keeps in the build schema and in the store)."""
    nodes = json.loads(prepare_manifest().read_text())["nodes"].values()
    return sorted(node["alias"] or node["name"] for node in nodes if node["resource_type"] == "model"
                  and (node["schema"] == BUILD_SCHEMA or node["config"]["materialized"] == "incremental"))


RUN_FOLDERS_KEPT = 24  # a day of hourly runs; each run's folder holds ~20 MB (manifest, compiled SQL, logs)


def after_dbt_run(run_target: Path) -> None:
    """Housekeeping after a dbt invocation in its run's own target folder.

    dbt wrote the partial-parse state for the warehouse it connected to; dagster-dbt seeds every run's folder
    from the one in `target/`, so keeping it there lets the next run skip a full parse (which `dbt parse` at
    import, made without the warehouse's connection settings, cannot give: dbt re-parses when the profile
    differs). Old run folders are removed, keeping the newest RUN_FOLDERS_KEPT.
    """
    target = dbt_project.manifest_path.parent
    state = run_target / "partial_parse.msgpack"
    if state.exists():
        scratch = target / f".partial_parse.{os.getpid()}"
        shutil.copyfile(state, scratch)
        os.replace(scratch, target / "partial_parse.msgpack")
    runs = sorted((p for p in target.glob("dbt_models-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-RUN_FOLDERS_KEPT]:  # this run's own folder is the newest
        shutil.rmtree(old, ignore_errors=True)


class ReelhouseDbtTranslator(DagsterDbtTranslator):
    """One lineage from source tables to marts.

    A dbt source is keyed `[schema, table]` — exactly the key of the ingestion asset that loads it
    (e.g. raw_app/users) — and a model `[schema, model]` (staging/stg_app__users, marts/fct_...). A mart is
    keyed by the schema readers know it in (`marts`), though dbt builds it in `marts_next` until it is published.
    Groups follow the folders: staging, intermediate, marts_<domain> (entity tables), reporting_<domain>.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            return AssetKey([dbt_resource_props["schema"], table])
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["schema"]
            return AssetKey([LIVE_SCHEMA if schema == BUILD_SCHEMA else schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if len(fqn) >= 3 and fqn[1] in ("marts", "reporting"):
            return f"{fqn[1]}_{fqn[2]}" if len(fqn) > 3 else fqn[1]
        return fqn[1] if len(fqn) >= 3 else "dbt"


translator = ReelhouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def mart_keys() -> list[AssetKey]:
    """The asset key of every mart dbt builds (keyed by the schema readers know it in, `marts`): what publishing
    swaps in once they are all built and checked."""
    nodes = json.loads(prepare_manifest().read_text())["nodes"].values()
    keys = {translator.get_asset_key(node) for node in nodes if node["resource_type"] in ("model", "seed", "snapshot")}
    return sorted((key for key in keys if key.path[0] == LIVE_SCHEMA), key=AssetKey.to_user_string)
