"""A small billing ledger whose Stripe account has one of everything the derivation can produce.

The demo world's account depends on what its users happen to do; tests that must see every shape (a mid-year
upgrade's proration invoice, a cancellation at period end, an annual renewal, a lost, a won and an inquiry
dispute, a refunded and disputed charge, a declined first payment, dunning, deleted and erased customers, a
customer who comes back after being erased, a subscription with five add-ons upgraded mid-period, whose invoice has
twelve lines: more than the ten Stripe embeds in an invoice) build this account instead:
`build_account(*scenario())`. Users and purchases are picked by the derivation's own chance functions, so the
account is fixed and covers each case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from demo.stripe_world.derive import (
    ADDONS,
    DAY,
    AppUser,
    BillingFact,
    chargeback_lost,
    coupon_of,
    declined_first,
    dispute_of,
    erased_on_request,
    is_annual,
    is_taxed,
    stable_id,
)

BASE = 1_767_225_600  # 2026-01-01
START = BASE + 280 * DAY  # most users start here; the annual renewal user a year earlier
NOW = BASE + 400 * DAY
PRICES = {"pro": 800, "business": 2600}


@dataclass
class Scenario:
    users: dict[int, AppUser] = field(default_factory=dict)
    facts: list[BillingFact] = field(default_factory=list)
    now: int = NOW
    who: dict[str, int] = field(default_factory=dict)  # role -> user id
    txns: dict[str, int] = field(default_factory=dict)  # role -> credit transaction id of a purchase
    _next_txn: int = 1

    def user(self, role: str, wanted: Callable[[int], bool], deleted_at: int | None = None) -> int:
        user_id = next(uid for uid in range(1, 1_000_000) if uid not in self.users and wanted(uid))
        self.users[user_id] = AppUser(user_id, f"{role}.{user_id}@example.com", role.replace("_", " ").title(),
                                      deleted_at)
        self.who[role] = user_id
        return user_id

    def txn(self, wanted: Callable[[int], bool] = lambda _: True) -> int:
        txn_id = next(t for t in range(self._next_txn, 10_000_000) if wanted(t))
        self._next_txn = txn_id + 1
        return txn_id

    def plan(self, user_id: int, plan: str, at: int) -> None:
        self.facts.append(BillingFact(self.txn(), user_id, "plan_allocation", plan, None, PRICES.get(plan, 0),
                                      None, at))

    def purchase(self, user_id: int, at: int, role: str | None = None,
                 wanted: Callable[[int], bool] = lambda t: dispute_of(t) is None) -> int:
        txn_id = self.txn(wanted)
        self.facts.append(BillingFact(txn_id, user_id, "purchase", None, "pack_8", 800, None, at))
        if role:
            self.txns[role] = txn_id
        return txn_id

    def addon(self, user_id: int, addon: str, at: int) -> None:
        self.facts.append(BillingFact(self.txn(), user_id, "addon", None, addon, 0, None, at))

    def refund(self, user_id: int, purchase: int, at: int) -> None:
        self.facts.append(BillingFact(self.txn(), user_id, "refund", None, None, -800, purchase, at))


def _customer(user_id: int) -> str:
    return stable_id("cus", user_id)


def scenario() -> tuple[dict[int, AppUser], list[BillingFact], int]:
    """(users, facts, now) for `build_account`; `covering_scenario()` also names the users and purchases."""
    built = covering_scenario()
    return built.users, built.facts, built.now


def covering_scenario() -> Scenario:
    s = Scenario()
    keep = lambda uid: not erased_on_request(uid)  # noqa: E731 (a predicate read once)

    # An annual pro plan with a 20% coupon and tax, upgraded mid-year (a proration invoice), then canceled: it runs
    # to the end of the paid year (cancel_at_period_end).
    u = s.user("annual_upgrade", lambda uid: keep(uid) and is_annual(uid) and coupon_of(uid) == "LAUNCH20"
               and is_taxed(_customer(uid)))
    s.plan(u, "pro", START)
    s.plan(u, "pro", START + 30 * DAY)  # the app's monthly credits: no Stripe change
    s.plan(u, "business", START + 40 * DAY)
    s.plan(u, "free", START + 70 * DAY)

    # An annual business plan downgraded mid-year (no invoice), canceled, then reactivated before the year ends.
    u = s.user("annual_downgrade", lambda uid: keep(uid) and is_annual(uid) and coupon_of(uid) is None
               and not is_taxed(_customer(uid)))
    s.plan(u, "business", START)
    s.plan(u, "pro", START + 35 * DAY)
    s.plan(u, "free", START + 50 * DAY)
    s.plan(u, "pro", START + 60 * DAY)

    # A monthly plan with a $5 coupon and tax: changed up and down at renewals, then back on the free plan.
    u = s.user("monthly_changes", lambda uid: keep(uid) and not is_annual(uid) and coupon_of(uid) == "FRIENDS5"
               and is_taxed(_customer(uid)))
    s.plan(u, "pro", START)
    s.plan(u, "business", START + 30 * DAY + 60)
    s.plan(u, "pro", START + 60 * DAY + 120)
    s.plan(u, "free", START + 90 * DAY + 180)

    # A monthly plan whose first payment is declined, then renewed and still live (renewal notices).
    u = s.user("monthly_declined", lambda uid: keep(uid) and not is_annual(uid) and coupon_of(uid) is None)
    first = next(at for at in range(START, START + DAY, 7)
                 if declined_first(stable_id("in", stable_id("sub", u, at), at)))
    for month in range(4):
        s.plan(u, "pro", first + month * (30 * DAY + 1))

    # A monthly plan never renewed: canceled when dunning gives up.
    u = s.user("dunning", lambda uid: keep(uid) and not is_annual(uid) and coupon_of(uid) is None)
    s.plan(u, "pro", START)

    # An annual business plan renewed after its year (the renewal invoice's own period is the year just ended).
    u = s.user("annual_renewal", lambda uid: keep(uid) and is_annual(uid) and coupon_of(uid) is None)
    s.plan(u, "business", BASE)
    s.plan(u, "business", BASE + 365 * DAY + 60)

    # A monthly plan with five add-ons (voice packs, each an item of its own, billed from the next renewal: 6 lines),
    # upgraded mid-period: the cycle restarts, so the invoice credits all six items' unused time and bills six new
    # periods: 12 lines, more than the 10 Stripe embeds in an invoice (the rest: GET /v1/invoices/<id>/lines).
    u = s.user("addons", lambda uid: keep(uid) and not is_annual(uid) and coupon_of(uid) is None
               and not is_taxed(_customer(uid)))
    s.plan(u, "pro", START)
    for addon in list(ADDONS)[:5]:
        s.addon(u, addon, START + 2 * DAY)
    s.plan(u, "pro", START + 30 * DAY + 240)
    s.plan(u, "business", START + 40 * DAY)

    # Credit packs through Checkout: a lost and a won chargeback, an inquiry, a refunded charge that is disputed
    # (only ever an inquiry), a plain refund and a plain purchase.
    u = s.user("packs", keep)
    s.purchase(u, START + 1 * DAY, "lost", lambda t: dispute_of(t) == "chargeback" and chargeback_lost(t))
    s.purchase(u, START + 2 * DAY, "won", lambda t: dispute_of(t) == "chargeback" and not chargeback_lost(t))
    s.purchase(u, START + 3 * DAY, "inquiry", lambda t: dispute_of(t) == "inquiry")
    disputed = s.purchase(u, START + 4 * DAY, "refunded_disputed", lambda t: dispute_of(t) == "chargeback")
    s.refund(u, disputed, START + 6 * DAY)
    refunded = s.purchase(u, START + 5 * DAY, "refunded")
    s.refund(u, refunded, START + 7 * DAY)
    s.purchase(u, START + 8 * DAY, "plain")

    # A user deleted in the app: their customer is deleted then.
    u = s.user("app_deleted", keep, deleted_at=START + 50 * DAY)
    s.purchase(u, START + 5 * DAY)

    # A customer erased on request 30 days after their last purchase, who buys again later: a new customer.
    u = s.user("erased_returning", erased_on_request)
    s.purchase(u, START + 10 * DAY)
    s.purchase(u, START + 100 * DAY)
    s.facts.sort(key=lambda fact: (fact.created, fact.txn_id))
    return s
