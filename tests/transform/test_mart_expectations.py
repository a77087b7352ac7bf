"""Each kind of bad number in a mart makes the right Great Expectations check fail (and only that one).

The marts are built for real on the demo world; each test corrupts one mart in place the way a bug
would, runs the mart's suite, and restores the table from a copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from expectations.runner import run_suite
from expectations.suite import load_suites
from reelhouse.warehouse import connect, role_url

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
    "mrr_movements_do_not_reconcile": (
        "marts.mrr_daily",
        "UPDATE marts.mrr_daily SET mrr_usd = mrr_usd + 1"
        " WHERE date_day = (SELECT max(date_day) FROM marts.mrr_daily)",
        "MRR movements reconcile: start + new + expansion + reactivation - contraction - churn = end",
    ),
    "duplicate_key": (  # marts with a unique index cannot even hold one; this one has none
        "marts.template_leaderboard",
        "INSERT INTO marts.template_leaderboard SELECT * FROM marts.template_leaderboard"
        " WHERE timeframe = 'all' ORDER BY usage_rank LIMIT 1",
        "compound_columns_to_be_unique(['timeframe', 'template_id'])",
    ),
    "tier_counts_do_not_sum_to_the_users": (
        "marts.engagement_tier_daily",
        "UPDATE marts.engagement_tier_daily SET entities = entities + 1"
        " WHERE ctid = (SELECT min(ctid) FROM marts.engagement_tier_daily WHERE population = 'user')",
        "each day's user tier counts sum to the users signed up by that day",
    ),
    "rate_out_of_range": (
        "marts.export_funnel_daily",
        "UPDATE marts.export_funnel_daily SET success_rate = 1.2"
        " WHERE ctid = (SELECT min(ctid) FROM marts.export_funnel_daily)",
        "success rate is within [0, 1]",
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
    suite = next(s for s in load_suites().values() if f"{s.schema}.{s.table}" == table)
    result = run_suite(suite, role_url("transformer"), f"test-{uuid.uuid4()}")
    return [outcome.spec.label for outcome in result.blocking_failures + result.warnings]


def test_every_mart_suite_passes_on_the_demo_world(built_marts):
    mart_suites = [s for s in load_suites().values() if s.schema == "marts"]
    assert len(mart_suites) >= 6
    failures = {f"{s.schema}.{s.table}": failed_expectations(f"{s.schema}.{s.table}") for s in mart_suites}
    assert not any(failures.values()), failures


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_numbers_fail_the_right_check(built_marts, case):
    table, statement, expected = CASES[case]
    with corrupted(table, statement):
        failed = failed_expectations(table)
    assert failed == (list(expected) if isinstance(expected, tuple) else [expected])
    assert failed_expectations(table) == []  # restored: the suite passes again
