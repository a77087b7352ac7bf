"""The whole dbt project on the demo world: it builds, every mart has rows, docs generate, and every
column a mart has is documented (and every documented column exists)."""

from __future__ import annotations

import json
from pathlib import Path

from reelhouse.warehouse import connect, role_url
from reelhouse.warehouse.marts import BUILD_SCHEMA


def mart_nodes(target: Path) -> dict[str, dict]:
    manifest = json.loads((target / "manifest.json").read_text())
    return {key: node for key, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and node["schema"] in (BUILD_SCHEMA, "intermediate")}


# Views over the pipeline's own records: empty until a load quarantines a row or a check runs.
PIPELINE_STATE_MARTS = {"data_health_quarantine_daily", "data_health_checks"}


def test_every_mart_has_rows(built_marts):
    empty = []
    with connect(role_url("analyst")) as conn:
        for node in mart_nodes(built_marts).values():
            if node["schema"] != BUILD_SCHEMA or node["name"] in PIPELINE_STATE_MARTS:
                continue
            count = conn.execute(f'SELECT count(*) FROM marts."{node["name"]}"').fetchone()[0]  # published
            if count == 0:
                empty.append(node["name"])
    assert not empty, f"marts without rows on the demo world: {empty}"


def test_every_model_and_column_is_documented_and_exists(built_marts):
    catalog = json.loads((built_marts / "catalog.json").read_text())["nodes"]
    problems = []
    for key, node in mart_nodes(built_marts).items():
        if not node["description"].strip():
            problems.append(f"{node['name']}: no description")
        documented = {name.lower(): column for name, column in node["columns"].items()}
        actual = {name.lower() for name in catalog[key]["columns"]}
        problems += [f"{node['name']}.{name}: not documented" for name in sorted(actual - documented.keys())]
        problems += [f"{node['name']}.{name}: documented but not in the table"
                     for name in sorted(documented.keys() - actual)]
        problems += [f"{node['name']}.{name}: empty description"
                     for name, column in documented.items() if not column.get("description", "").strip()]
    assert not problems, "\n".join(problems)


def test_mart_revenue_reconciles_with_stripe_to_the_cent(built_marts):
    with connect(role_url("transformer")) as conn:
        raw_cents = conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM raw_stripe.charges WHERE (data->>'paid')::boolean"
        ).fetchone()[0]
        mart_usd = conn.execute("SELECT coalesce(sum(gross_charged_usd), 0) FROM marts.revenue_daily").fetchone()[0]
        refunds_cents = conn.execute("SELECT coalesce(sum(amount), 0) FROM raw_stripe.refunds").fetchone()[0]
        mart_refunds = conn.execute(  # the money refunded (refunds_usd is the revenue share, without tax)
            "SELECT coalesce(sum(money_refunded_usd), 0) FROM marts.revenue_daily").fetchone()[0]
    assert raw_cents > 0
    assert round(mart_usd * 100) == raw_cents
    assert round(mart_refunds * 100) == refunds_cents


def test_engagement_tier_counts_sum_to_the_population(built_marts):
    with connect(role_url("analyst")) as conn:
        mismatched = conn.execute("""
            SELECT tiers.date_day FROM (
                SELECT date_day, sum(entities) AS entities FROM marts.engagement_tier_daily
                WHERE population = 'user' GROUP BY date_day) AS tiers
            JOIN (SELECT date_day, count(*) AS users FROM marts.fct_user_engagement_daily GROUP BY date_day) AS users
              ON tiers.date_day = users.date_day
            WHERE tiers.entities != users.users
        """).fetchall()
        days = conn.execute("SELECT count(DISTINCT date_day) FROM marts.engagement_tier_daily").fetchone()[0]
    assert days >= 60 and not mismatched
