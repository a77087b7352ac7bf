"""The dbt project's own rules, checked on its manifest (`dbt parse`, no warehouse needed).

dbt Labs' dbt-project-evaluator package states the rules; its hub package cannot be installed here, so the rules that
apply are written out below over `target/manifest.json`, each named like the evaluator's model that finds it
(`fct_<rule>`), with the evaluator's default thresholds. The project's own conventions stand where the evaluator lets a
project set variables: its folders (staging/<system>/ for the source raw_<system> or <system>, intermediate/, marts/
for fct_/dim_ entity tables, reporting/ for tables shaped for one report, unprefixed).

A violation fails the test unless dbt_project/evaluator_waivers.yml waives it with the reason; a waiver that no
longer matches any violation fails too, so the file stays true.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

import pytest
import yaml

from orchestration.lib.dbt_project import DBT_PROJECT_DIR

WAIVERS_FILE = DBT_PROJECT_DIR / "evaluator_waivers.yml"
PRIMARY_KEY_TESTS = ("unique_combination_of_columns",)  # alone, or unique + not_null on one column
MODELS_FANOUT_THRESHOLD = 3  # the evaluator's defaults
TOO_MANY_JOINS_THRESHOLD = 7
CHAINED_VIEWS_THRESHOLD = 5
FOLDER_PREFIXES = {"staging": ("stg_", "base_"), "intermediate": ("int_",), "marts": ("fct_", "dim_"), "reporting": ()}
LAYER_PREFIXES = ("base_", "stg_", "int_", "fct_", "dim_")
SCHEMAS = ("raw_app", "raw_stripe", "raw_costs", "ops", "staging", "intermediate", "marts", "marts_next")


class Graph:
    """Models, sources and exposures with their direct edges (tests and unit tests are not part of the DAG)."""

    def __init__(self, manifest: dict) -> None:
        self.models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
        self.sources = dict(manifest["sources"])
        self.exposures = dict(manifest["exposures"])
        self.nodes = {**self.models, **self.sources, **self.exposures}
        self.parents: dict[str, list[str]] = {k: [] for k in self.nodes}
        self.children: dict[str, list[str]] = {k: [] for k in self.nodes}
        for key, node in {**self.models, **self.exposures}.items():
            for parent in sorted(set(node["depends_on"]["nodes"])):
                if parent in self.nodes:
                    self.parents[key].append(parent)
                    self.children[parent].append(key)

    def name(self, key: str) -> str:
        node = self.nodes[key]
        return f"{node['source_name']}.{node['name']}" if key in self.sources else node["name"]

    def folder(self, key: str) -> str:
        return self.models[key]["fqn"][1]

    def is_model(self, key: str) -> bool:
        return key in self.models


def generic_tests(manifest: dict) -> dict[str, list[dict]]:
    """Generic tests per model they are attached to."""
    found: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata") and node.get("attached_node"):
            found.setdefault(node["attached_node"], []).append(node)
    return found


# --- the rules: each returns its violations as (subject, detail) ------------------------------------------------

def missing_primary_key_tests(manifest: dict) -> list[tuple[str, str]]:
    """Models whose grain no test states: neither unique and not_null on one column nor
    unique_combination_of_columns (fct_missing_primary_key_tests)."""
    tests = generic_tests(manifest)
    missing = []
    for key, model in Graph(manifest).models.items():
        by_kind: dict[str, set] = {}
        for test in tests.get(key, []):
            by_kind.setdefault(test["test_metadata"]["name"], set()).add(test.get("column_name"))
        one_column_key = (by_kind.get("unique", set()) & by_kind.get("not_null", set())) - {None}
        if not one_column_key and not any(name in by_kind for name in PRIMARY_KEY_TESTS):
            missing.append((model["name"], "no unique + not_null column and no unique_combination_of_columns"))
    return sorted(missing)


def direct_join_to_source(g: Graph) -> list[tuple[str, str]]:
    """A model reading both a source and a model (fct_direct_join_to_source)."""
    return [(g.name(k), "reads " + ", ".join(g.name(p) for p in g.parents[k]))
            for k in g.models if any(p in g.sources for p in g.parents[k]) and any(g.is_model(p) for p in g.parents[k])]


def marts_or_intermediate_dependent_on_source(g: Graph) -> list[tuple[str, str]]:
    """Any model outside staging reading a source (fct_marts_or_intermediate_dependent_on_source)."""
    return [(g.name(k), f"{g.folder(k)} model reads {g.name(p)}") for k in g.models if g.folder(k) != "staging"
            for p in g.parents[k] if p in g.sources]


def multiple_sources_joined(g: Graph) -> list[tuple[str, str]]:
    """A model reading more than one source (fct_multiple_sources_joined)."""
    return [(g.name(k), ", ".join(g.name(p) for p in g.parents[k] if p in g.sources)) for k in g.models
            if sum(p in g.sources for p in g.parents[k]) > 1]


def source_fanout(g: Graph) -> list[tuple[str, str]]:
    """A source read by more than one model (fct_source_fanout)."""
    return [(g.name(s), ", ".join(g.name(c) for c in g.children[s] if g.is_model(c))) for s in g.sources
            if sum(g.is_model(c) for c in g.children[s]) > 1]


def unused_sources(g: Graph) -> list[tuple[str, str]]:
    """A declared source nothing reads (fct_unused_sources)."""
    return [(g.name(s), "no model reads it") for s in g.sources if not g.children[s]]


def duplicate_sources(g: Graph) -> list[tuple[str, str]]:
    """Two source nodes for one table (fct_duplicate_sources)."""
    seen: dict[tuple, list[str]] = {}
    for key, source in g.sources.items():
        seen.setdefault((source["database"], source["schema"], source["identifier"]), []).append(g.name(key))
    return [(" = ".join(names), "one table declared twice") for names in seen.values() if len(names) > 1]


def root_models(g: Graph) -> list[tuple[str, str]]:
    """A model with no parent (fct_root_models)."""
    return [(g.name(k), "reads no ref or source") for k in g.models if not g.parents[k]]


def staging_dependent_on_staging(g: Graph) -> list[tuple[str, str]]:
    """fct_staging_dependent_on_staging; a stg_ model reading its base_ model is not (dbt's base models: the
    source's rows, deleted ones included, that the stg_ model filters)."""
    return [(g.name(k), f"reads {g.name(p)}") for k in g.models if g.folder(k) == "staging"
            for p in g.parents[k] if g.is_model(p) and g.folder(p) == "staging"
            and not (g.name(p).startswith("base_") and g.name(k).startswith("stg_"))]


def staging_dependent_on_marts_or_intermediate(g: Graph) -> list[tuple[str, str]]:
    """fct_staging_dependent_on_marts_or_intermediate."""
    return [(g.name(k), f"reads {g.name(p)}") for k in g.models if g.folder(k) == "staging"
            for p in g.parents[k] if g.is_model(p) and g.folder(p) != "staging"]


def model_fanout(g: Graph) -> list[tuple[str, str]]:
    """A parent with MODELS_FANOUT_THRESHOLD or more direct leaf children: models nothing reads, not even an
    exposure (fct_model_fanout)."""
    leaves = {k for k in g.models if not g.children[k]}
    found = []
    for parent in g.nodes:
        leaf_children = sorted(g.name(c) for c in g.children[parent] if c in leaves)
        if len(leaf_children) >= MODELS_FANOUT_THRESHOLD:
            found.append((g.name(parent), "leaf children: " + ", ".join(leaf_children)))
    return found


def rejoining_of_upstream_concepts(g: Graph) -> list[tuple[str, str]]:
    """A parent P read by a model C both directly and through X, where X has no other child than C
    (fct_rejoining_of_upstream_concepts; exposures are not children here, as in the evaluator)."""
    def dag_children(key: str) -> list[str]:
        return [c for c in g.children[key] if c not in g.exposures]

    found = []
    for child in g.models:
        for between in g.parents[child]:
            if len(dag_children(between)) != 1:
                continue
            for parent in g.parents.get(between, []):
                if parent in g.parents[child]:
                    found.append((f"{g.name(parent)} -> {g.name(between)} -> {g.name(child)}",
                                  f"{g.name(child)} reads {g.name(parent)} directly and through {g.name(between)},"
                                  " which nothing else reads"))
    return found


def too_many_joins(g: Graph) -> list[tuple[str, str]]:
    """A model with TOO_MANY_JOINS_THRESHOLD or more direct parents (fct_too_many_joins)."""
    return [(g.name(k), f"{len(g.parents[k])} parents") for k in g.models
            if len(g.parents[k]) >= TOO_MANY_JOINS_THRESHOLD]


def hard_coded_references(g: Graph) -> list[tuple[str, str]]:
    """A model's SQL naming a warehouse table instead of ref()/source() (fct_hard_coded_references)."""
    found = []
    for key, model in g.models.items():
        sql = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", model["raw_code"], flags=re.S)
        sql = re.sub(r"--[^\n]*", " ", sql)
        for match in re.finditer(r"(?i)(?<!distinct\s)\b(?:from|join)\s+\"?(\w+)\"?\s*\.\s*\"?(\w+)", sql):
            if match.group(1).lower() in SCHEMAS:
                found.append((g.name(key), f"{match.group(1)}.{match.group(2)}"))
    return found


def chained_views_dependencies(g: Graph) -> list[tuple[str, str]]:
    """A model at the end of more than CHAINED_VIEWS_THRESHOLD views in a row (fct_chained_views_dependencies)."""
    def view_chain(key: str) -> int:
        parents = [p for p in g.parents[key] if g.is_model(p) and g.models[p]["config"]["materialized"] == "view"]
        return 1 + max((view_chain(p) for p in parents), default=0)

    return [(g.name(k), f"{view_chain(k) - 1} views in a row above it") for k in g.models
            if view_chain(k) - 1 > CHAINED_VIEWS_THRESHOLD]


def exposure_parents_materializations(g: Graph) -> list[tuple[str, str]]:
    """An exposure reading a view, an ephemeral model or a source (fct_exposure_parents_materializations)."""
    found = []
    for key, exposure in g.exposures.items():
        for parent in g.parents[key]:
            if parent in g.sources:
                found.append((f"{exposure['name']} <- {g.name(parent)}", "reads a source"))
            elif g.models[parent]["config"]["materialized"] in ("view", "ephemeral"):
                found.append((f"{exposure['name']} <- {g.name(parent)}",
                              f"reads a {g.models[parent]['config']['materialized']}"))
    return found


def sources_without_freshness(g: Graph) -> list[tuple[str, str]]:
    """A source table with no freshness declared (fct_sources_without_freshness)."""
    return [(g.name(k), "no warn_after / error_after") for k, s in g.sources.items()
            if not (s.get("freshness") or {}).get("warn_after", {}).get("count")
            and not (s.get("freshness") or {}).get("error_after", {}).get("count")]


def undocumented_models(g: Graph) -> list[tuple[str, str]]:
    """fct_undocumented_models (and so fct_documentation_coverage below 100 %)."""
    return [(g.name(k), "no description") for k, m in g.models.items() if not m["description"].strip()]


def undocumented_source_tables(g: Graph) -> list[tuple[str, str]]:
    return [(g.name(k), "no description") for k, s in g.sources.items() if not s["description"].strip()]


def undocumented_sources(g: Graph) -> list[tuple[str, str]]:
    return sorted({(s["source_name"], "no description") for s in g.sources.values()
                   if not s["source_description"].strip()})


def model_naming_conventions(g: Graph) -> list[tuple[str, str]]:
    """A model whose prefix does not match its folder (fct_model_naming_conventions): stg_ in staging/, int_ in
    intermediate/, fct_ or dim_ in marts/, no layer prefix in reporting/."""
    found = []
    for key in g.models:
        folder, name = g.folder(key), g.name(key)
        if folder not in FOLDER_PREFIXES:
            found.append((name, f"in models/{folder}/, which is no layer"))
        elif FOLDER_PREFIXES[folder] and not name.startswith(FOLDER_PREFIXES[folder]):
            found.append((name, f"a {folder} model is named {' or '.join(FOLDER_PREFIXES[folder])}..."))
        elif not FOLDER_PREFIXES[folder] and name.startswith(LAYER_PREFIXES):
            found.append((name, f"a {folder} model carries a layer prefix"))
    return found


def model_directories(g: Graph) -> list[tuple[str, str]]:
    """A staging model outside staging/<system>/ of the source it reads (fct_model_directories: the source
    raw_<system> or <system>); the other folders are the naming rule's."""
    found = []
    for key in g.models:
        if g.folder(key) != "staging":
            continue
        folder = PurePosixPath(g.models[key]["original_file_path"]).parent.name
        for parent in g.parents[key]:
            if parent in g.sources and g.sources[parent]["source_name"].removeprefix("raw_") != folder:
                found.append((g.name(key), f"in staging/{folder}/ but reads {g.name(parent)}"))
    return found


def source_directories(g: Graph) -> list[tuple[str, str]]:
    """A source declared outside staging/<system>/ (fct_source_directories)."""
    found = []
    for key, source in g.sources.items():
        path = PurePosixPath(source["original_file_path"])
        expected = PurePosixPath("models/staging") / source["source_name"].removeprefix("raw_")
        if path.parent != expected:
            found.append((g.name(key), f"declared in {path.parent}, not {expected}"))
    return found


def misplaced_tests(manifest: dict) -> list[tuple[str, str]]:
    """A generic or unit test declared in another folder than its model's YAML (fct_test_directories)."""
    g = Graph(manifest)
    found = []
    tests = [t for t in manifest["nodes"].values() if t["resource_type"] == "test" and t.get("test_metadata")]
    for test in [*tests, *manifest.get("unit_tests", {}).values()]:
        model = g.models.get(test.get("attached_node") or "") or next(
            (g.models[p] for p in test["depends_on"]["nodes"] if p in g.models), None)
        if model and PurePosixPath(test["original_file_path"]).parent != PurePosixPath(
                model["original_file_path"]).parent:
            found.append((f"{test['name']} ({model['name']})", f"declared in {test['original_file_path']}"))
    return found


def public_models_without_contract(g: Graph) -> list[tuple[str, str]]:
    """fct_public_models_without_contract."""
    return [(g.name(k), "access public, contract not enforced") for k, m in g.models.items()
            if m.get("access") == "public" and not m["config"].get("contract", {}).get("enforced")]


def undocumented_public_models(g: Graph) -> list[tuple[str, str]]:
    """fct_undocumented_public_models: a public model or one of its columns without a description."""
    return [(g.name(k), "model or a column undocumented") for k, m in g.models.items() if m.get("access") == "public"
            and (not m["description"].strip() or any(not c["description"].strip() for c in m["columns"].values()))]


def exposures_dependent_on_private_models(g: Graph) -> list[tuple[str, str]]:
    """fct_exposures_dependent_on_private_models."""
    return [(f"{e['name']} <- {g.name(p)}", "reads a private model") for k, e in g.exposures.items()
            for p in g.parents[k] if g.is_model(p) and g.models[p].get("access") == "private"]


GRAPH_RULES: dict[str, Callable[[Graph], list[tuple[str, str]]]] = {
    rule.__name__: rule for rule in (
        direct_join_to_source, marts_or_intermediate_dependent_on_source, multiple_sources_joined, source_fanout,
        unused_sources, duplicate_sources, root_models, staging_dependent_on_staging,
        staging_dependent_on_marts_or_intermediate, model_fanout, rejoining_of_upstream_concepts, too_many_joins,
        hard_coded_references, chained_views_dependencies, exposure_parents_materializations,
        sources_without_freshness, undocumented_models, undocumented_source_tables, undocumented_sources,
        model_naming_conventions, model_directories, source_directories, public_models_without_contract,
        undocumented_public_models, exposures_dependent_on_private_models)
}
MANIFEST_RULES: dict[str, Callable[[dict], list[tuple[str, str]]]] = {
    "missing_primary_key_tests": missing_primary_key_tests, "test_directories": misplaced_tests}


def load_waivers() -> list[dict]:
    waivers = yaml.safe_load(WAIVERS_FILE.read_text())["waivers"]
    for waiver in waivers:
        assert waiver.get("reason", "").strip(), f"waiver without a reason: {waiver}"
        assert waiver["rule"] in {**GRAPH_RULES, **MANIFEST_RULES}, f"no such rule: {waiver['rule']}"
    return waivers


def waived(rule: str, subject: str, waivers: Iterable[dict]) -> dict | None:
    return next((w for w in waivers if w["rule"] == rule
                 and any(fnmatch.fnmatchcase(subject, pattern) for pattern in w["subjects"])), None)


def violations(manifest: dict) -> dict[str, list[tuple[str, str]]]:
    g = Graph(manifest)
    found = {name: sorted(set(rule(g))) for name, rule in GRAPH_RULES.items()}
    found |= {name: sorted(set(rule(manifest))) for name, rule in MANIFEST_RULES.items()}
    return found


# --- the tests ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", sorted({**GRAPH_RULES, **MANIFEST_RULES}))
def test_the_project_follows_the_rule_or_waives_it_with_a_reason(manifest, rule):
    waivers = load_waivers()
    found = violations(manifest)[rule]
    unwaived = [f"{subject}: {detail}" for subject, detail in found if not waived(rule, subject, waivers)]
    assert unwaived == [], (f"{rule}: fix these, or waive them in {WAIVERS_FILE.name} with the reason:\n  "
                            + "\n  ".join(unwaived))
    stale = [pattern for w in waivers if w["rule"] == rule for pattern in w["subjects"]
             if not any(fnmatch.fnmatchcase(subject, pattern) for subject, _ in found)]
    assert stale == [], f"{rule}: waivers that no longer match a violation (remove them): {stale}"


def test_every_model_has_a_tested_grain(manifest):
    assert missing_primary_key_tests(manifest) == []


def test_the_rules_find_what_they_describe():
    """Each rule can fail: a crafted manifest with one of each problem."""
    def model(name: str, folder: str, parents: list[str], materialized: str = "table", raw: str = "select 1",
              path: str | None = None) -> dict:
        return {"resource_type": "model", "name": name, "fqn": ["p", folder, name], "raw_code": raw,
                "depends_on": {"nodes": parents}, "config": {"materialized": materialized}, "description": "d",
                "original_file_path": path or f"models/{folder}/{name}.sql", "columns": {}}

    def source(name: str, table: str, folder: str, freshness: dict | None = None) -> dict:
        return {"resource_type": "source", "source_name": name, "name": table, "database": "db", "schema": name,
                "identifier": table, "freshness": freshness, "description": "d", "source_description": "d",
                "original_file_path": f"models/staging/{folder}/_sources.yml"}

    fresh = {"warn_after": {"count": 2, "period": "hour"}, "error_after": {"count": 6, "period": "hour"}}
    crafted = {
        "nodes": {
            "model.p.stg_app__a": model("stg_app__a", "staging", ["source.p.raw_app.a"],
                                        path="models/staging/app/stg_app__a.sql"),
            "model.p.stg_app__b": model("stg_app__b", "staging", ["source.p.raw_app.a", "model.p.stg_app__a"],
                                        path="models/staging/stripe/stg_app__b.sql"),
            "model.p.base_app__e": model("base_app__e", "staging", ["source.p.raw_app.e"],
                                         path="models/staging/app/base_app__e.sql"),
            "model.p.stg_app__e": model("stg_app__e", "staging", ["model.p.base_app__e"],
                                        path="models/staging/app/stg_app__e.sql"),
            "model.p.base_app__f": model("base_app__f", "staging", ["model.p.stg_app__e"],
                                         path="models/staging/app/base_app__f.sql"),
            "model.p.int_x": model("int_x", "intermediate", ["model.p.stg_app__a"]),
            "model.p.fct_y": model("fct_y", "marts", ["model.p.int_x", "model.p.stg_app__a", "source.p.raw_app.c"],
                                   raw="select * from {{ ref('int_x') }} join raw_app.users using (id)"),
            "model.p.y_daily": model("y_daily", "reporting", ["model.p.fct_y"], materialized="view"),
            "model.p.int_calendar": model("int_calendar", "intermediate", []),
            "test.p.unique_fct_y_id": {"resource_type": "test", "attached_node": "model.p.fct_y", "column_name": "id",
                                       "test_metadata": {"name": "unique"}, "name": "unique_fct_y_id",
                                       "depends_on": {"nodes": ["model.p.fct_y"]},
                                       "original_file_path": "models/reporting/_x.yml"},
        },
        "sources": {"source.p.raw_app.a": source("raw_app", "a", "app", fresh),
                    "source.p.raw_app.c": source("raw_app", "c", "app"),
                    "source.p.raw_app.d": source("raw_app", "d", "app", fresh),
                    "source.p.raw_app.e": source("raw_app", "e", "app", fresh)},
        "exposures": {"exposure.p.board": {"resource_type": "exposure", "name": "board",
                                           "depends_on": {"nodes": ["model.p.y_daily"]}}},
        "unit_tests": {},
    }
    found = {rule: [subject for subject, _ in rows] for rule, rows in violations(crafted).items() if rows}
    assert found == {
        "direct_join_to_source": ["fct_y", "stg_app__b"],
        "marts_or_intermediate_dependent_on_source": ["fct_y"],
        "source_fanout": ["raw_app.a"],
        "unused_sources": ["raw_app.d"],
        "root_models": ["int_calendar"],
        "staging_dependent_on_staging": ["base_app__f", "stg_app__b"],  # a stg_ reading its base_ is no fault
        "rejoining_of_upstream_concepts": ["stg_app__a -> int_x -> fct_y"],
        "hard_coded_references": ["fct_y"],
        "exposure_parents_materializations": ["board <- y_daily"],
        "sources_without_freshness": ["raw_app.c"],
        "model_directories": ["stg_app__b"],
        "missing_primary_key_tests": ["base_app__e", "base_app__f", "fct_y", "int_calendar", "int_x", "stg_app__a",
                                      "stg_app__b", "stg_app__e", "y_daily"],
        "test_directories": ["unique_fct_y_id (fct_y)"],
    }, found
