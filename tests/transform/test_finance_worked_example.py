"""The finance marts on a small Stripe account in the pinned API version's shapes, against numbers worked out by hand.

The account (tests/fixtures/stripe/worked_account/account.json, built from Stripe's published fixtures by build.py
beside it, whose docstring tells the story) is served by the demo Stripe server from a fresh store, loaded by the
real loader through the stripe SDK, and built by dbt on a scratch warehouse, as a real account would be. Every
expected number below is a literal with its arithmetic: if a mart disagrees, the mart is wrong (or the story
changed). Amounts in USD; "day" means the UTC day the marts count it on.

Customers and app users: 1 Ana (Business now, was Pro), 2 Bo (Business yearly, 8 % tax), 3 Cy (Enterprise now, was
Pro, coupon 20 %), 4 Dee (free now: trial, then one Business month, canceled at period end), 5 Eve (credit packs;
deleted from Stripe and from the app), 6 Fay and 7 Gus (free, credit packs), 8 Hal (Enterprise now, was Business, with
five $5 voice-pack add-ons; his upgrade invoice has 12 lines, of which Stripe embeds 10).
"""

from __future__ import annotations

import json
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from reelhouse.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "tests" / "fixtures" / "stripe" / "worked_account" / "account.json"
AS_OF = "2026-11-16T12:00:00+00:00"
FINANCE = "+marts.finance +reporting.finance staging.stripe intermediate.finance"

# MRR per day, in cents (USD × 100). Lines count over their own service period, from the day it starts:
A_PRO, A_BUSINESS = 800, 2600                # Ana: Pro Sep 1; Business from the Sep 16 upgrade (cycle restarted)
B_YEARLY = Decimal(26000) / 12               # Bo: $260 a year ÷ 12 = 2166.67, tax not MRR
C_PRO, C_ENTERPRISE = 640, 5440              # Cy: 800 − 20 % = 640; Oct 25 upgrade: 6800 − 20 % = 5440 (not the
#                                              prorated 2808 − 330 the upgrade invoice charged)
D_BUSINESS = 2600                            # Dee: Oct 15 (trial Oct 1-14 is $0, not MRR) until Nov 15 (period end)
H_VOICES = 5 * 500                           # Hal's five voice packs, $5 each, from Nov 1, renewed with the upgrade
H_BUSINESS, H_ENTERPRISE = 2600, 6800        # Hal: Business Nov 1; Enterprise from the Nov 11 upgrade (cycle
#                                              restarted). Lines 11 and 12 of that invoice, two voice packs' new
#                                              periods, are not embedded: without them MRR would drop 1000 on Nov 11
MRR_CENTS = {
    "2026-08-31": 0,
    "2026-09-01": A_PRO,                                            # 800
    "2026-09-04": A_PRO,
    "2026-09-05": A_PRO + B_YEARLY,                                 # 800 + 2166.67 = 2966.67
    "2026-09-10": A_PRO + B_YEARLY + C_PRO,                         # 3606.67
    "2026-09-15": A_PRO + B_YEARLY + C_PRO,
    "2026-09-16": A_BUSINESS + B_YEARLY + C_PRO,                    # 2600 + 2166.67 + 640 = 5406.67
    "2026-10-14": A_BUSINESS + B_YEARLY + C_PRO,
    "2026-10-15": A_BUSINESS + B_YEARLY + C_PRO + D_BUSINESS,       # 8006.67
    "2026-10-16": A_BUSINESS + B_YEARLY + C_PRO + D_BUSINESS,       # Ana's renewal failed once: still counted
    "2026-10-24": A_BUSINESS + B_YEARLY + C_PRO + D_BUSINESS,
    "2026-10-25": A_BUSINESS + B_YEARLY + C_ENTERPRISE + D_BUSINESS,  # 2600 + 2166.67 + 5440 + 2600 = 12806.67
    "2026-10-31": A_BUSINESS + B_YEARLY + C_ENTERPRISE + D_BUSINESS,
    "2026-11-01": A_BUSINESS + B_YEARLY + C_ENTERPRISE + D_BUSINESS + H_BUSINESS + H_VOICES,  # 12806.67 + 5100
    "2026-11-10": A_BUSINESS + B_YEARLY + C_ENTERPRISE + D_BUSINESS + H_BUSINESS + H_VOICES,  # Cy renews: same price
    "2026-11-11": A_BUSINESS + B_YEARLY + C_ENTERPRISE + D_BUSINESS + H_ENTERPRISE + H_VOICES,  # 12806.67 + 9300
    "2026-11-14": A_BUSINESS + B_YEARLY + C_ENTERPRISE + D_BUSINESS + H_ENTERPRISE + H_VOICES,
    "2026-11-15": A_BUSINESS + B_YEARLY + C_ENTERPRISE + H_ENTERPRISE + H_VOICES,  # Dee's period ended: 19506.67
    "2026-11-16": A_BUSINESS + B_YEARLY + C_ENTERPRISE + H_ENTERPRISE + H_VOICES,
}
PAYING = {"2026-08-31": 0, "2026-09-01": 1, "2026-09-05": 2, "2026-09-10": 3, "2026-10-15": 4, "2026-11-01": 5,
          "2026-11-15": 4}
# Every day with a movement (cents): new = first MRR, expansion = more, churn = none left. Nothing else moves.
MOVEMENTS = {
    "2026-09-01": {"new": 800},
    "2026-09-05": {"new": B_YEARLY},
    "2026-09-10": {"new": 640},
    "2026-09-16": {"expansion": 2600 - 800},       # one expansion of the price difference, 1800
    "2026-10-15": {"new": 2600},
    "2026-10-25": {"expansion": 5440 - 640},       # 4800: not +2808 and −330 of prorations
    "2026-11-01": {"new": 2600 + 5 * 500},         # Hal: 5100, six items
    "2026-11-11": {"expansion": 6800 - 2600},      # 4200; the voice packs restart at the same price: no movement
    "2026-11-15": {"churn": 2600},
}

# Cash by day (cents). Charges are revenue excluding tax on the day charged; refunds and disputes on the day their
# balance transactions moved the money.
REVENUE = {  # day: (payments, gross charged incl. tax, tax, subscription revenue, credit-pack revenue)
    "2026-09-01": (1, 800, 0, 800, 0),                 # Ana Pro
    "2026-09-05": (1, 28080, 2080, 26000, 0),          # Bo: 26000 + 8 % = 28080
    "2026-09-10": (1, 640, 0, 640, 0),                 # Cy 800 − 160
    "2026-09-16": (1, 2200, 0, 2200, 0),               # Ana's upgrade: 2600 − 400 unused Pro (15 of 30 days)
    "2026-09-20": (1, 1800, 0, 0, 1800),               # Eve pack_18
    "2026-10-02": (1, 4500, 0, 0, 4500),               # Eve pack_45
    "2026-10-03": (1, 800, 0, 0, 800),                 # Fay pack_8
    "2026-10-05": (1, 4500, 0, 0, 4500),               # Gus pack_45
    "2026-10-08": (1, 9000, 0, 0, 9000),               # Fay pack_90
    "2026-10-10": (1, 640, 0, 640, 0),                 # Cy renewal
    "2026-10-15": (1, 2600, 0, 2600, 0),               # Dee's first paid month
    "2026-10-16": (0, 0, 0, 0, 0),                     # Ana's renewal declined: no money
    "2026-10-18": (1, 2600, 0, 2600, 0),               # ... paid on the retry
    "2026-10-25": (1, 2478, 0, 2478, 0),               # Cy's upgrade: 2808 − 330
    "2026-11-01": (1, 5100, 0, 5100, 0),               # Hal: Business 2600 + 5 voice packs × 500
    "2026-11-10": (1, 5440, 0, 5440, 0),               # Cy renewal 6800 − 1360
    "2026-11-11": (1, 5902, 0, 5902, 0),               # Hal's upgrade: 6800 + 2500 − 1733 − 5 × 333
    "2026-11-16": (1, 2600, 0, 2600, 0),               # Ana renewal
}
REFUNDS = {"2026-10-04": 800, "2026-10-06": 2000}      # Fay's pack_8 in full; $20 of Gus's $45
DISPUTES = {
    "2026-10-12": 4500,   # Eve's chargeback, lost: withdrawn when it opened
    "2026-10-15": 2500,   # Gus's chargeback withdrew 4500, but 2000 had been refunded: 4500 − 2000 = 2500 counts
}                         # Fay's inquiry (Oct 18) moved no money: nothing
MONEY_DISPUTED = {"2026-10-12": 4500, "2026-10-15": 4500}  # what Stripe's balance transactions withdrew
GROSS_REVENUE = 57000 + 20600   # subscriptions 800+26000+640+2200+640+2600+2600+2478+5440+2600 = 45998, Hal
#                                 5100 + 5902 = 11002: 57000; packs 1800+4500+800+4500+9000 = 20600; together 77600
NET_REVENUE = GROSS_REVENUE - (800 + 2000) - (4500 + 2500)   # 77600 − 2800 − 7000 = 67800
# Stripe fees: 2.9 % + 30 c per charge (half cents to even), $15 per chargeback:
# Ana 53 + 94 + 105 + 105, Bo 844, Cy 49 + 49 + 102 + 188, Dee 105, Eve 82 + 160, Fay 53 + 291, Gus 160, Hal 178 + 201
# = 2819, plus 1500 × 2 chargebacks = 5819
STRIPE_FEES = 5819

# Net revenue by the user's plan now (no AI cost in this account, so gross margin = net revenue):
NET_BY_PLAN = {
    "business": 800 + 2200 + 2600 + 2600 + 26000,       # Ana 8200 + Bo 26000 = 34200
    "enterprise": 640 + 640 + 2478 + 5440 + 5100 + 5902,  # Cy 9198 + Hal 11002 = 20200
    "free": 2600 + (800 - 800 + 9000) + (4500 - 2000 - 2500),  # Dee 2600 + Fay 9000 + Gus 0 = 11600
    "unknown": 1800 + 4500 - 4500,                      # Eve, deleted from the app: 1800, kept
}
LIFETIME = {1: 8200, 2: 26000, 3: 9198, 4: 2600, 6: 9000, 7: 0, 8: 11002}  # user_unit_economics; Eve has no row


def cents(value) -> Decimal:
    return (Decimal(value) * 100).quantize(Decimal("0.01"))


def _app_with_users(app_url: str) -> None:
    """The app side: the seven users, Eve deleted (the rest of the app is empty)."""
    schema = (ROOT / "demo" / "app_world" / "schema.sql").read_text()
    users = [(1, "business"), (2, "business"), (3, "enterprise"), (4, "free"), (5, "pro"), (6, "free"), (7, "free"),
             (8, "enterprise")]
    with connect(app_url) as conn:
        conn.execute(schema)
        for user_id, plan in users:
            conn.execute(
                "INSERT INTO users (id, email, full_name, plan, role, created_at, updated_at, deleted_at)"
                " VALUES (%s, %s, %s, %s, 'user', '2026-08-25', '2026-11-05', %s)",
                (user_id, f"user{user_id}@example.com", f"User {user_id}", plan,
                 "2026-11-05 08:00+00" if user_id == 5 else None))
        conn.commit()


@pytest.fixture(scope="module")
def worked(fresh_database, scratch_warehouse, tmp_path_factory):
    """The account served, loaded and built; returns the scratch warehouse's URLs."""
    import os
    import subprocess

    from demo.stripe_world.background import running_stripe_server
    from demo.stripe_world.store import ensure_schema, save
    from ingestion.app_db import load_app_tables
    from ingestion.costs import load_costs
    from ingestion.stripe import load_stripe
    from orchestration.lib.dbt_project import DBT_PROJECT_DIR
    from reelhouse.config import get_settings
    from reelhouse.warehouse import dbt_env

    account = json.loads(ACCOUNT.read_text())
    store = fresh_database("worked_stripe_store")
    with connect(store) as conn:
        ensure_schema(conn)
        save(conn, account["objects"], account["events"])
        conn.commit()
    app = fresh_database("worked_app")
    _app_with_users(app)
    warehouse = scratch_warehouse("worked_warehouse")
    load_costs(warehouse["loader"])
    load_app_tables(app, warehouse["loader"])
    with running_stripe_server(store) as server:
        results = load_stripe(get_settings().stripe_api_key, server.base_url, warehouse["loader"])
    assert all(result.ok for result in results), [result.error for result in results if not result.ok]

    target = tmp_path_factory.mktemp("worked-dbt")
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), "build", "--select", *FINANCE.split(), "--indirect-selection", "cautious",  # tests of built models
         "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=900,
        env={**os.environ, **dbt_env(url=warehouse["transformer"], as_of=AS_OF)})
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return warehouse


def _rows(url: str, sql: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_the_account_is_in_the_pinned_versions_shapes():
    sys.path.insert(0, str(ROOT / "tests" / "contracts"))
    from stripe_contract import problems

    account = json.loads(ACCOUNT.read_text())
    assert account["api_version"] == "2026-10-28.endive"
    found = [f"{obj['id']}: {p}" for obj in account["objects"]
             for p in problems({k: v for k, v in obj.items() if k != "deleted"})]
    found += [f"{event['id']}: {p}" for event in account["events"] for p in problems(event)]
    assert not found, found


def test_mrr_by_day(worked):
    days = {str(day): (mrr, paying) for day, mrr, paying in _rows(
        worked["transformer"], "SELECT date_day, mrr_usd, paying_customers FROM marts_next.mrr_daily")}
    assert min(days) == "2026-08-25" and max(days) == "2026-11-16"
    for day, expected in MRR_CENTS.items():
        assert abs(cents(days[day][0]) - Decimal(expected)) < Decimal("0.01"), (day, days[day][0], expected)
    for day, expected in PAYING.items():
        assert days[day][1] == expected, (day, days[day][1], expected)


def test_mrr_movements(worked):
    columns = {"new": "new_mrr_usd", "expansion": "expansion_mrr_usd", "contraction": "contraction_mrr_usd",
               "churn": "churned_mrr_usd", "reactivation": "reactivation_mrr_usd"}
    rows = _rows(worked["transformer"], f"SELECT date_day, {', '.join(columns.values())} FROM marts_next.mrr_daily")
    moved = {}
    for day, *values in rows:
        nonzero = {kind: cents(value) for kind, value in zip(columns, values, strict=True) if value != 0}
        if nonzero:
            moved[str(day)] = nonzero
    assert moved.keys() == MOVEMENTS.keys(), moved
    for day, expected in MOVEMENTS.items():
        assert moved[day].keys() == expected.keys(), (day, moved[day])
        for kind, amount in expected.items():
            assert abs(moved[day][kind] - Decimal(amount)) < Decimal("0.01"), (day, kind, moved[day][kind])
    months = _rows(worked["transformer"], "SELECT month_start, new_mrr_usd, expansion_mrr_usd, churned_mrr_usd,"
                   " ending_mrr_usd FROM marts_next.mrr_monthly WHERE month_start >= '2026-09-01' ORDER BY 1")
    assert [(str(m), round(n, 2), round(e, 2), round(c, 2), round(end, 2)) for m, n, e, c, end in months] == [
        ("2026-09-01", Decimal("36.07"), Decimal("18.00"), 0, Decimal("54.07")),   # 8 + 21.67 + 6.40; Ana +18
        ("2026-10-01", Decimal("26.00"), Decimal("48.00"), 0, Decimal("128.07")),  # Dee; Cy +48
        ("2026-11-01", Decimal("51.00"), Decimal("42.00"), Decimal("26.00"), Decimal("195.07")),  # Hal; Dee churned
    ]


def test_revenue_tax_refunds_and_disputes_by_day(worked):
    rows = _rows(worked["transformer"],
                 "SELECT date_day, payments, gross_charged_usd, tax_usd, subscription_revenue_usd,"
                 " credit_pack_revenue_usd, refunds_usd, disputes_usd, dispute_reversals_usd, money_disputed_usd,"
                 " refund_count, dispute_count, net_revenue_usd FROM marts_next.revenue_daily")
    by_day = {str(row[0]): row[1:] for row in rows}
    for day, (payments, charged, tax, subscription, packs, refunds, disputes, reversals, money_disputed,
              refund_count, dispute_count, net) in by_day.items():
        expected = REVENUE.get(day, (0, 0, 0, 0, 0))
        assert (payments, cents(charged), cents(tax), cents(subscription), cents(packs)) == expected, (day, expected)
        assert cents(refunds) == REFUNDS.get(day, 0), day
        assert cents(disputes) == DISPUTES.get(day, 0), day
        assert cents(money_disputed) == MONEY_DISPUTED.get(day, 0), day
        assert reversals == 0 and refund_count == (1 if day in REFUNDS else 0), day
        assert dispute_count == (1 if day in DISPUTES else 0), day
        assert cents(net) == expected[3] + expected[4] - REFUNDS.get(day, 0) - DISPUTES.get(day, 0), day
    totals = _rows(worked["transformer"],
                   "SELECT sum(gross_revenue_usd), sum(net_revenue_usd), sum(tax_usd), sum(money_refunded_usd),"
                   " sum(stripe_fees_usd) FROM marts_next.revenue_daily")[0]
    assert [cents(v) for v in totals] == [GROSS_REVENUE, NET_REVENUE, 2080, 2800, STRIPE_FEES]


def test_payments_find_their_invoice_and_plan(worked):
    payments = {row[0]: row[1:] for row in _rows(
        worked["transformer"], "SELECT charge_id, revenue_type, invoice_id, product, billing_interval, user_id"
        " FROM marts_next.fct_stripe_payments")}
    assert len(payments) == 17  # 18 charges, Ana's declined attempt is not a payment
    assert sum(1 for p in payments.values() if p[0] == "subscription") == 12
    assert payments["ch_ana_3"] == ("subscription", "in_ana_3", "prod_business", "month", 1)  # via its intent
    assert payments["ch_ana_2"][2] == "prod_business"     # the regular line, not the Pro credit before it
    assert payments["ch_cy_3"][2] == "prod_enterprise"    # prorations only: the debit, the larger line
    assert payments["ch_bo_1"][2:4] == ("prod_business", "year")
    assert payments["ch_eve_2"] == ("credit_pack", None, "pack_45", None, 5)  # Eve's user stays on her payments


def test_net_revenue_is_one_definition_by_plan_and_user(worked):
    by_plan = {plan: cents(net) for plan, net, margin in _rows(
        worked["transformer"], "SELECT plan, sum(net_revenue_usd), sum(gross_margin_usd)"
        " FROM marts_next.unit_economics_daily GROUP BY plan") if net or margin}
    assert by_plan == NET_BY_PLAN
    assert sum(NET_BY_PLAN.values()) == NET_REVENUE  # the plans add up to revenue_daily's net revenue
    lifetime = {user: cents(value) for user, value in _rows(
        worked["transformer"], "SELECT user_id, lifetime_revenue_usd FROM marts_next.user_unit_economics")}
    assert lifetime == LIFETIME


def test_staging_reads_every_field_stripe_populates(worked):
    url = worked["transformer"]
    eve = _rows(url, "SELECT is_deleted, email, customer_name, user_id FROM staging.stg_stripe__customers"
                     " WHERE customer_id = 'cus_eve'")
    assert eve == [(True, None, None, 5)]  # deleted: no PII past raw, the user stays
    assert _rows(url, "SELECT count(*) FILTER (WHERE NOT is_deleted AND email IS NOT NULL), count(*)"
                      " FROM staging.stg_stripe__customers") == [(7, 8)]
    assert _rows(url, "SELECT count(*) FROM staging.stg_stripe__invoices WHERE subscription_id IS NULL") == [(0,)]
    assert _rows(url, "SELECT tax_cents, discount_cents FROM staging.stg_stripe__invoices"
                      " WHERE invoice_id IN ('in_bo_1', 'in_cy_1') ORDER BY invoice_id") == [(2080, 0), (0, 160)]
    assert _rows(url, "SELECT count(*) FROM staging.stg_stripe__invoice_lines WHERE price_id IS NULL"
                      " OR product_id IS NULL OR subscription_item_id IS NULL OR period_start IS NULL") == [(0,)]
    assert _rows(url, "SELECT count(*) FILTER (WHERE is_proration), count(*)"
                      " FROM staging.stg_stripe__invoice_lines") == [(3 + 6, 13 + 6 + 12)]
    # Hal's upgrade invoice: all 12 lines, although Stripe embeds 10 (lines.has_more): the loader fetched the rest
    assert _rows(url, "SELECT count(*), sum(amount_cents), max(line_position) FROM staging.stg_stripe__invoice_lines"
                      " WHERE invoice_id = 'in_hal_2'") == [(12, 5902, 12)]
    assert _rows(url, "SELECT count(*) FROM staging.stg_stripe__invoices WHERE has_more_lines") == [(0,)]
    assert _rows(url, "SELECT count(*) FROM staging.stg_stripe__charges WHERE payment_intent_id IS NULL") == [(0,)]
    assert _rows(url, "SELECT count(*) FROM staging.stg_stripe__invoice_payments WHERE payment_intent_id IS NULL"
                      " OR invoice_id IS NULL") == [(0,)]
    dee = _rows(url, "SELECT status, is_canceling_at_period_end, trial_end::date, current_period_end::date,"
                     " ended_at::date FROM staging.stg_stripe__subscriptions WHERE subscription_id = 'sub_dee'")
    assert [tuple(map(str, row)) for row in dee] == [("canceled", "True", "2026-10-15", "2026-11-15", "2026-11-15")]
    assert _rows(url, "SELECT count(*) FROM staging.stg_stripe__subscription_items WHERE billing_interval IS NULL"
                      " OR current_period_start IS NULL OR price_id IS NULL") == [(0,)]
    assert _rows(url, "SELECT dispute_id, is_inquiry, funds_withdrawn_cents FROM staging.stg_stripe__disputes"
                      " ORDER BY dispute_id") == [("dp_eve_2", False, 4500), ("dp_fay_2", True, 0),
                                                  ("dp_gus_1", False, 4500)]


def test_a_subscriptions_coupon_is_reached_through_its_discount(worked):
    """The subscription carries only its discount's id, as Stripe sends it; the discount (expanded in the listing,
    and announced by customer.discount.created) and its coupon land in their own tables, and the join gives the
    subscription's coupon and what it takes off."""
    url = worked["transformer"]
    assert _rows(url, "SELECT data -> 'discounts' FROM raw_stripe.subscriptions WHERE id = 'sub_cy'") == [(["di_cy"],)]
    assert _rows(url, "SELECT subscription_id, discount_id, discount_count FROM staging.stg_stripe__subscriptions"
                      " WHERE discount_count > 0") == [("sub_cy", "di_cy", 1)]
    assert _rows(url, "SELECT discount_id, coupon_id, subscription_id, customer_id, started_at::text, is_deleted"
                      " FROM staging.stg_stripe__discounts") == [
        ("di_cy", "LAUNCH20", "sub_cy", "cus_cy", "2026-09-10 09:00:00+00", False)]
    assert _rows(url, "SELECT subscription_id, coupon_id, percent_off, amount_off_cents, duration, removed_at"
                      " FROM intermediate.int_stripe_subscription_discounts") == [
        ("sub_cy", "LAUNCH20", Decimal("20.0"), None, "forever", None)]


def test_the_finance_checks_pass_on_the_account(worked):
    from expectations.runner import run_suite
    from expectations.suite import load_suites

    suites = load_suites()
    for name in ("marts.revenue_daily", "marts.mrr_daily", "marts.fct_stripe_payments"):
        result = run_suite(suites[name], worked["transformer"], f"worked-{uuid.uuid4()}", schema="marts_next")
        assert result.success and not result.warnings, (name, [o.spec.label for o in result.blocking_failures
                                                               + result.warnings])

