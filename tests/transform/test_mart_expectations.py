"""Each kind of bad number in a mart makes the right check fail (and only that one), in the tool that owns it
(README "Data quality"): a Great Expectations expectation (a mart against raw Stripe or the user population) or a
dbt test of the mart's YAML (grain, accepted values, a predicate on one row).

The marts are built for real on the demo world; each test corrupts one mart in place the way a bug
would, runs the mart's suite and the dbt tests of the mart (the SQL dbt compiled for them in that build, read
against the published table), and restores the table from a copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from check_homes import dbt_kind, dbt_label

from expectations.runner import run_suite
from expectations.suite import load_suites
from reelhouse.warehouse import connect, role_url
from reelhouse.warehouse.marts import BUILD_SCHEMA, LIVE_SCHEMA

CASES = {
    "revenue_mismatch": (
        "marts.revenue_daily",
        "UPDATE marts.revenue_daily SET gross_charged_usd = gross_charged_usd + 0.01"
        " WHERE date_day = (SELECT max(date_day) FROM marts.revenue_daily WHERE payments > 0)",
        "charged money in the mart equals Stripe's charge balance transactions in raw, to the cent",
    ),
    "disputed_money_mismatch": (
        "marts.revenue_daily",
        "UPDATE marts.revenue_daily SET money_disputed_usd = money_disputed_usd + 15"
        " WHERE date_day = (SELECT max(date_day) FROM marts.revenue_daily)",
        "money disputes took in the mart equals Stripe's dispute balance transactions in raw (withdrawals less"
        " reversals; inquiries have none), to the cent",
    ),
    "mrr_reads_no_subscription": (  # what MRR was when staging read a field Stripe had moved
        "marts.mrr_daily",
        "UPDATE marts.mrr_daily SET mrr_usd = 0, starting_mrr_usd = 0, new_mrr_usd = 0, expansion_mrr_usd = 0,"
        " reactivation_mrr_usd = 0, contraction_mrr_usd = 0, churned_mrr_usd = 0, paying_customers = 0"
        " WHERE date_day = (SELECT max(date_day) FROM marts.mrr_daily)",
        "MRR is not 0 on the latest day while Stripe (raw) has active or past-due subscriptions on a paid price"
        " created by then: an MRR that reads no subscription at all (a field Stripe moved) fails here",
    ),
    "a_subscription_payment_lost_its_invoice": (
        "marts.fct_stripe_payments",
        "UPDATE marts.fct_stripe_payments SET revenue_type = 'credit_pack', invoice_id = NULL"
        " WHERE charge_id = (SELECT min(charge_id) FROM marts.fct_stripe_payments WHERE revenue_type = 'subscription')",
        "every paid subscription invoice paid through Stripe has a subscription payment in the mart",
    ),
    "no_payment_is_a_subscription_payment": (  # what every payment looked like when charge.invoice disappeared
        "marts.fct_stripe_payments",
        "UPDATE marts.fct_stripe_payments SET revenue_type = 'credit_pack', invoice_id = NULL",
        ("paid subscription invoices exist in Stripe (raw) but no payment in the mart is a subscription payment",
         "every paid subscription invoice paid through Stripe has a subscription payment in the mart"),
    ),
    "broken_funnel_order": (
        "marts.paywall_funnel_daily",
        "UPDATE marts.paywall_funnel_daily SET journeys_completed_purchase = journeys_initiated_checkout + 1"
        " WHERE ctid = (SELECT min(ctid) FROM marts.paywall_funnel_daily)",
        "funnel steps never increase: viewed >= clicked >= checkout >= purchase",
    ),
    "paywall_rate_out_of_range": (
        "marts.paywall_funnel_daily",
        "UPDATE marts.paywall_funnel_daily SET view_to_click_rate = 1.5"
        " WHERE ctid = (SELECT min(ctid) FROM marts.paywall_funnel_daily)",
        "view to click rate is within [0, 1]",
    ),
    "mrr_movements_do_not_reconcile": (
        "marts.mrr_daily",
        "UPDATE marts.mrr_daily SET mrr_usd = mrr_usd + 1"
        " WHERE date_day = (SELECT max(date_day) FROM marts.mrr_daily)",
        "MRR movements reconcile: start + new + expansion + reactivation - contraction - churn = end",
    ),
    "negative_paying_customers": (
        "marts.mrr_daily",
        "UPDATE marts.mrr_daily SET paying_customers = -1 WHERE date_day = (SELECT min(date_day) FROM marts.mrr_daily)",
        "MRR and paying customers are never negative",
    ),
    "negative_tax": (
        "marts.revenue_daily",
        "UPDATE marts.revenue_daily SET tax_usd = -1 WHERE date_day = (SELECT min(date_day) FROM marts.revenue_daily)",
        "revenue, disputes, reversals and tax are never negative",
    ),
    "duplicate_key": (  # marts with a unique index cannot even hold one; this one has none
        "marts.template_leaderboard",
        "INSERT INTO marts.template_leaderboard SELECT * FROM marts.template_leaderboard"
        " WHERE timeframe = 'all' ORDER BY usage_rank LIMIT 1",
        ("grain(leaderboard_position, timeframe)", "grain(template_id, timeframe)"),
    ),
    "tier_counts_do_not_sum_to_the_users": (
        "marts.engagement_tier_daily",
        "UPDATE marts.engagement_tier_daily SET entities = entities + 1"
        " WHERE population = 'user' AND (date_day, engagement_tier) = (SELECT date_day, engagement_tier"
        " FROM marts.engagement_tier_daily WHERE population = 'user' ORDER BY 1, 2 LIMIT 1)",
        "each day's user tier counts sum to the users signed up by that day",
    ),
    "unknown_tier": (
        "marts.engagement_tier_daily",
        "UPDATE marts.engagement_tier_daily SET engagement_tier = 'dormant'"
        " WHERE population = 'student' AND (date_day, creator_id, engagement_tier) = (SELECT date_day, creator_id,"
        " engagement_tier FROM marts.engagement_tier_daily WHERE population = 'student' ORDER BY 1, 2, 3 LIMIT 1)",
        "accepted_values(engagement_tier)",
    ),
    "share_out_of_range": (
        "marts.engagement_tier_daily",
        "UPDATE marts.engagement_tier_daily SET share_of_population = 1.5"
        " WHERE population = 'student' AND (date_day, creator_id, engagement_tier) = (SELECT date_day, creator_id,"
        " engagement_tier FROM marts.engagement_tier_daily WHERE population = 'student' ORDER BY 1, 2, 3 LIMIT 1)",
        "shares of a population are within [0, 1]",
    ),
    "rate_out_of_range": (
        "marts.export_funnel_daily",
        "UPDATE marts.export_funnel_daily SET success_rate = 1.2"
        " WHERE ctid = (SELECT min(ctid) FROM marts.export_funnel_daily)",
        "success rate is within [0, 1]",
    ),
    "more_outcomes_than_exports": (
        "marts.export_funnel_daily",
        "UPDATE marts.export_funnel_daily SET exports_failed = exports_total - exports_completed + 1"
        " WHERE ctid = (SELECT min(ctid) FROM marts.export_funnel_daily)",
        "completed and failed exports never exceed all exports",
    ),
    "completion_rate_out_of_range": (
        "marts.content_daily_kpis",
        "UPDATE marts.content_daily_kpis SET completion_rate = 1.5"
        " WHERE date_day = (SELECT max(date_day) FROM marts.content_daily_kpis)",
        "completion rate is within [0, 1]",
    ),
    "more_completed_than_created": (
        "marts.content_daily_kpis",
        "UPDATE marts.content_daily_kpis SET videos_completed = videos_created + 1"
        " WHERE date_day = (SELECT max(date_day) FROM marts.content_daily_kpis)",
        "videos completed never exceed videos created",
    ),
}


@contextmanager
def corrupted(table: str, statement: str) -> Iterator[None]:
    """Apply `statement` to the mart, then put every row back exactly as it was."""
    backup = f"dq_backup_{uuid.uuid4().hex[:8]}"
    with connect(role_url("transformer"), autocommit=True) as conn:
        conn.execute(f"CREATE TEMP TABLE {backup} AS SELECT * FROM {table}")  # noqa: S608 — names are ours
        conn.execute(statement)
        try:
            yield
        finally:
            conn.execute(f"DELETE FROM {table}")
            conn.execute(f"INSERT INTO {table} SELECT * FROM {backup}")


def failed_expectations(table: str) -> list[str]:
    """The GX expectations of the table's suite that fail (none without a suite)."""
    suite = next((s for s in load_suites().values() if f"{s.schema}.{s.table}" == table), None)
    if suite is None:
        return []
    result = run_suite(suite, role_url("transformer"), f"test-{uuid.uuid4()}")
    return [outcome.spec.label for outcome in result.blocking_failures + result.warnings]


def failed_dbt_tests(target: Path, table: str) -> list[str]:
    """The dbt tests of the mart that fail: the SQL dbt compiled for each in the build, read against the published
    table (the build wrote it to BUILD_SCHEMA and publishing swapped it into LIVE_SCHEMA); labelled by the test's
    description, else kind(columns) as tests/check_homes.py names them."""
    manifest = json.loads((target / "manifest.json").read_text())
    model_id = next(key for key, node in manifest["nodes"].items() if node["resource_type"] == "model"
                    and node["schema"] == BUILD_SCHEMA and f"{LIVE_SCHEMA}.{node['name']}" == table)
    known = {name.lower() for name in manifest["nodes"][model_id]["columns"]}
    failed = []
    with connect(role_url("transformer")) as conn:
        for test in manifest["nodes"].values():
            if test["resource_type"] != "test" or test.get("attached_node") != model_id:
                continue
            assert test.get("compiled_code"), f"{test['name']}: no SQL compiled in the build"
            sql = test["compiled_code"].replace(f'"{BUILD_SCHEMA}".', f'"{LIVE_SCHEMA}".')
            if conn.execute(f"SELECT count(*) FROM ({sql}) AS failures").fetchone()[0]:
                metadata = test["test_metadata"]
                kind, columns = dbt_kind(metadata["name"], metadata["kwargs"], test.get("column_name"), known)
                failed.append(dbt_label(test.get("description"), kind, columns))
    return failed


def failed_checks(target: Path, table: str) -> list[str]:
    return sorted(failed_expectations(table) + failed_dbt_tests(target, table))


def test_every_mart_suite_passes_on_the_demo_world(built_marts):
    mart_suites = [s for s in load_suites().values() if s.schema == "marts"]
    assert len(mart_suites) >= 4
    failures = {f"{s.schema}.{s.table}": failed_expectations(f"{s.schema}.{s.table}") for s in mart_suites}
    assert not any(failures.values()), failures


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_numbers_fail_the_right_check(built_marts, case):
    table, statement, expected = CASES[case]
    with corrupted(table, statement):
        failed = failed_checks(built_marts, table)
    assert failed == sorted(expected if isinstance(expected, tuple) else [expected])
    assert failed_checks(built_marts, table) == []  # restored: every check passes again
