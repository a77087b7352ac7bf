"""dbt's own `source freshness`, run by the pipeline's source_freshness checks (defs/quality/checks.py).

Freshness is declared once, in the dbt project: the thresholds in dbt_project.yml (`sources: reelhouse: +freshness`),
how each source measures it in its sources YAML (raw_app and raw_stripe: when rows from the source last landed, a
`loaded_at_query` on ops.load_audit). dbt evaluates it; this module only runs the command and reads its artifact,
sources.json, per source table, keyed like the ingestion asset that loads the table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from dagster import AssetKey
from dagster_dbt import DbtCliResource

from orchestration.lib.dbt_project import after_dbt_run, prepare_manifest, translator
from reelhouse.errors import ReelhouseError
from reelhouse.warehouse import dbt_env


@dataclass(frozen=True)
class TableFreshness:
    status: str  # dbt's: pass, warn, error, or runtime error (the measure itself failed, e.g. nothing ever landed)
    max_loaded_at: str | None
    age_seconds: float | None
    message: str | None

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "warn")

    @property
    def description(self) -> str:
        if self.age_seconds is None:
            return f"dbt source freshness: {self.status}: {self.message or 'no load time'}"
        return (f"dbt source freshness: {self.status}, newest rows landed {self.age_seconds / 3600:.1f} h ago"
                f" ({self.max_loaded_at})")


def dbt_source_freshness(dbt: DbtCliResource, transformer_url: str,
                         sources: Iterable[str]) -> dict[AssetKey, TableFreshness]:
    """`dbt source freshness --select source:<source> ...` (as the transformer role), per table's asset key.

    One dbt process for every source asked: each process costs seconds of start-up and project loading, more than
    the freshness queries themselves."""
    selected = [f"source:{source}" for source in sources]
    os.environ.update(dbt_env(url=transformer_url))  # profiles.yml reads the connection from the environment
    invocation = dbt.cli(["source", "freshness", "--select", " ".join(selected)], raise_on_error=False)
    invocation.wait()
    artifact = invocation.target_path / "sources.json"
    try:
        if not artifact.exists():
            raise ReelhouseError(f"dbt source freshness of {', '.join(selected)} wrote no results: "
                                 f"{invocation.get_error()}")
        results = json.loads(artifact.read_text())["results"]
    finally:
        after_dbt_run(invocation.target_path)
    declared = json.loads(prepare_manifest().read_text())["sources"]
    found = {}
    for result in results:
        key = translator.get_asset_key(declared[result["unique_id"]])
        found[key] = TableFreshness(result["status"], result.get("max_loaded_at"),
                                    result.get("max_loaded_at_time_ago_in_s"), result.get("message"))
    return found
