"""Contracts on what people read: every model a reader uses has an enforced contract (every column's name and
data_type), public access and an owner, so a column change breaks the build, not a dashboard.

Readers: the exposures (the Superset boards, the weekly email, analysts' SQL), the tables the dashboards as code
(semantic/superset/dashboards/*.yml), semantic/metrics.yml and the semantic code name, and every published table
(the `marts` schema: Superset makes a dataset of each, the analyst role reads them all). The email's exposure lists
exactly the marts semantic/report reads, and every published table is read by some exposure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.lib.dbt_project import DBT_PROJECT_DIR
from reelhouse.warehouse import dbt_env
from semantic.metrics import load_metrics
from semantic.superset.assets import load_dashboards

REPO_ROOT = DBT_PROJECT_DIR.parent
PUBLISHED_FOLDERS = ("marts", "reporting")  # built in marts_next, published as `marts`
EMAIL_EXPOSURE = "weekly_report"
POSTGRES_NAME_LIMIT = 63  # NAMEDATALEN - 1: longer names are an error when dbt creates the relation
MART_NAME = re.compile(r"\bmarts\.([a-z_][a-z0-9_]*)\b(?!\s*\()")  # marts.<table>, not marts.values()


def named_by_semantic_layer(root: Path = REPO_ROOT) -> dict[str, set[str]]:
    """Mart names each reader names: dashboards' datasets and filters, metrics.yml tables, literal marts.<table> in
    the readers' code (semantic/report: the email's queries; semantic/superset: e.g. its calendar)."""
    names = {
        "superset dashboards": {chart.dataset for spec in load_dashboards() for chart in spec.charts}
        | {native.dataset for spec in load_dashboards() for native in spec.filters},
        "semantic/metrics.yml": {metric.table.removeprefix("marts.") for metric in load_metrics().values()},
    }
    readers_code = [path for reader in ("report", "superset") for path in (root / "semantic" / reader).rglob("*.py")]
    for path in sorted(readers_code):
        found = set(MART_NAME.findall(path.read_text()))
        if found:
            names[str(path.relative_to(root))] = found
    return names


def email_marts(root: Path = REPO_ROOT) -> set[str]:
    """The marts the weekly emails read: literal marts.<table> in semantic/report, the marts of the metrics it names
    (its revenue figures, the creator's chat volume) and of every week-over-week metric (each KPI's sparkline runs the
    metric's SQL over its mart)."""
    code = "\n".join(path.read_text() for path in sorted((root / "semantic" / "report").glob("*.py")))
    metrics = load_metrics().values()
    return (set(MART_NAME.findall(code))
            | {m.table.removeprefix("marts.") for m in metrics if m.wow_metric or f'"{m.name}"' in code})


def governance_problems(manifest: dict, named: dict[str, set[str]]) -> list[str]:
    """What keeps a read model from being a contract: each as '<model>: <problem>'."""
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    by_key = {key: n["name"] for key, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    readers: dict[str, set[str]] = {}
    for exposure in manifest["exposures"].values():
        for parent in exposure["depends_on"]["nodes"]:
            readers.setdefault(by_key.get(parent, parent), set()).add(f"exposure {exposure['name']}")
    for reader, tables in named.items():
        for table in tables:
            readers.setdefault(table, set()).add(reader)
    for name, model in models.items():
        if model["fqn"][1] in PUBLISHED_FOLDERS:
            readers.setdefault(name, set()).add("published (marts schema)")

    problems = []
    for name, read_by in sorted(readers.items()):
        model = models.get(name)
        if model is None:
            problems.append(f"{name}: read by {', '.join(sorted(read_by))}, but no model builds it")
            continue
        config = model["config"]
        if not (config.get("contract") or {}).get("enforced"):
            problems.append(f"{name}: no enforced contract")
        untyped = [column for column, spec in model["columns"].items() if not spec.get("data_type")]
        if untyped:
            problems.append(f"{name}: columns without data_type: {', '.join(untyped)}")
        if model.get("access") != "public":
            problems.append(f"{name}: access {model.get('access')}, not public")
        if not (config.get("meta") or {}).get("owner"):
            problems.append(f"{name}: no owner in meta")
        if model["fqn"][1] in PUBLISHED_FOLDERS and not any(reader.startswith("exposure ") for reader in read_by):
            problems.append(f"{name}: published, but no exposure reads it (name its readers, e.g. the analysts')")
    for name, model in models.items():
        if model["fqn"][1] not in PUBLISHED_FOLDERS and model.get("access") not in ("protected", "private"):
            problems.append(f"{name}: a {model['fqn'][1]} model is {model.get('access')}, not protected or private")
    return problems


def test_every_model_people_read_has_an_enforced_contract_access_and_owner(manifest):
    problems = governance_problems(manifest, named_by_semantic_layer())
    assert problems == [], "\n".join(problems)


def test_the_email_exposure_lists_exactly_the_marts_the_email_reads(manifest):
    exposure = next(e for e in manifest["exposures"].values() if e["name"] == EMAIL_EXPOSURE)
    listed = {manifest["nodes"][key]["name"] for key in exposure["depends_on"]["nodes"]}
    assert listed == email_marts()


def relation_names_too_long(manifest: dict) -> list[str]:
    """Models and unit tests whose name, which dbt gives the relation it builds, PostgreSQL would not take."""
    nodes = [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]
    return sorted(f"{node['resource_type']} {node['name']} ({len(node['name'])})" for node in nodes
                  if node["resource_type"] in ("model", "unit_test") and len(node["name"]) > POSTGRES_NAME_LIMIT)


def test_every_model_and_unit_test_name_fits_a_postgresql_relation_name(manifest):
    assert relation_names_too_long(manifest) == []
    crafted = {"nodes": {}, "unit_tests": {"u": {"resource_type": "unit_test", "name": "t" * 64}}}
    assert relation_names_too_long(crafted) == [f"unit_test {'t' * 64} (64)"]


def test_the_checks_find_what_they_describe(tmp_path):
    """A crafted project: each problem found once, a model meeting every rule not at all."""
    def model(name: str, folder: str, *, contract: bool = True, access: str = "public", owner: str | None = "x@y",
              columns: dict | None = None) -> dict:
        return {"resource_type": "model", "name": name, "fqn": ["p", folder, name], "access": access,
                "config": {"contract": {"enforced": contract}, "meta": {"owner": owner} if owner else {}},
                "columns": columns if columns is not None else {"id": {"data_type": "bigint"}}}

    crafted = {
        "nodes": {
            "model.p.good": model("good", "reporting"),
            "model.p.loose": model("loose", "reporting", contract=False),
            "model.p.untyped": model("untyped", "marts", columns={"id": {"data_type": "bigint"}, "day": {}}),
            "model.p.internal": model("internal", "reporting", access="protected"),
            "model.p.orphan": model("orphan", "reporting", owner=None),
            "model.p.stg_a": model("stg_a", "staging", contract=False, access="public", owner=None),
            "model.p.int_b": model("int_b", "intermediate", contract=False, access="protected", owner=None),
        },
        "exposures": {"exposure.p.board": {"name": "board", "depends_on": {"nodes": [
            "model.p.good", "model.p.loose", "model.p.untyped", "model.p.internal", "model.p.int_b"]}}},
    }
    problems = governance_problems(crafted, {"a board": {"good", "gone"}})
    assert problems == [
        "gone: read by a board, but no model builds it",
        "int_b: no enforced contract",
        "int_b: access protected, not public",
        "int_b: no owner in meta",
        "internal: access protected, not public",
        "loose: no enforced contract",
        "orphan: no owner in meta",
        "orphan: published, but no exposure reads it (name its readers, e.g. the analysts')",
        "untyped: columns without data_type: day",
        "stg_a: a staging model is public, not protected or private",
    ]

    (tmp_path / "semantic" / "report").mkdir(parents=True)
    (tmp_path / "semantic" / "report" / "content.py").write_text(
        'rows = conn.execute("SELECT * FROM marts.crafted_table")\nmarts.values()\n'
        'metric = metrics["chat_questions"]\n')
    assert {"crafted_table", load_metrics()["chat_questions"].table.removeprefix("marts.")} <= email_marts(tmp_path)
    assert "values" not in email_marts(tmp_path)


PROBE_YAML = """
version: 2
models:
  - name: probe_as_declared
    description: d
    columns:
      - {name: day, data_type: date, description: d}
      - {name: users, data_type: bigint, description: d}
  - name: probe_retyped
    description: d
    columns:
      - {name: day, data_type: date, description: d}
      - {name: users, data_type: bigint, description: d}
  - name: probe_renamed
    description: d
    columns:
      - {name: day, data_type: date, description: d}
      - {name: users, data_type: bigint, description: d}
"""
PROBE_SQL = {
    "probe_as_declared": "select current_date as day, count(*) as users from (select 1) as one",
    "probe_retyped": "select current_date as day, sum(1::bigint) as users from (select 1) as one",  # numeric
    "probe_renamed": "select current_date as day, count(*) as user_count from (select 1) as one",
}


def test_a_column_change_breaks_the_build(scratch_warehouse, tmp_path):
    """A report model declared with the project's own folder config: built as declared it passes; a sum() that
    turns the count numeric, or a renamed column, stops dbt before it writes the table."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    probes = project / "models" / "reporting" / "probes"
    probes.mkdir()
    (probes / "_probes__models.yml").write_text(PROBE_YAML)
    for name, sql in PROBE_SQL.items():
        (probes / f"{name}.sql").write_text(sql + "\n")
    urls = scratch_warehouse("contracts_probe")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "run", "--select", "reporting.probes", "--no-partial-parse",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=project, capture_output=True, text=True, timeout=600,
        env={**os.environ, **dbt_env(url=urls["transformer"], as_of="2026-11-16T12:00:00+00:00")})
    output = done.stdout
    assert done.returncode != 0, output[-3000:]
    assert re.search(r"OK created sql table model marts_next\.probe_as_declared", output), output[-3000:]
    for name in ("probe_retyped", "probe_renamed"):
        assert re.search(rf"ERROR creating sql table model marts_next\.{name}", output), output[-3000:]
    # dbt's contract mismatch table: the column, the type the SQL gives, the declared one (the driver's names for
    # numeric and bigint), why
    assert re.search(r"\|\s*users\s*\|\s*DECIMAL\s*\|\s*LONGINTEGER\s*\|\s*data type mismatch", output), output[-3000:]
    assert re.search(r"(?i)\|\s*user_count\s*\|.*\|\s*missing in contract", output), output[-3000:]
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    probe = nodes["model.reelhouse.probe_as_declared"]
    assert probe["config"]["contract"]["enforced"] and probe["access"] == "public" and probe["config"]["meta"]["owner"]
