"""Derive the demo Stripe account from the app database's billing facts.

The app's credit ledger says what was billed: a `plan_allocation` with a price opens or renews a
subscription billing period, a `purchase` is a one-off credit-pack charge, a `refund` refunds one.
From those we build Stripe objects with Stripe's own shapes (customers, products, prices,
subscriptions with items, invoices with lines, charges, refunds, disputes, balance transactions)
and the events Stripe would have sent. Every id and every chance (annual billing, coupons, tax,
failed first payment attempts, disputes) comes from a hash of app ids, so the same app data always
gives the same account, and re-deriving after `demo advance` only adds or changes what is new.
"""

from __future__ import annotations

import copy
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from demo.app_world.catalog import CREDIT_PACKS, PAID_PLANS, PLAN_PRICE_CENTS

DAY = 86_400
CATALOG_CREATED = 1_704_067_200  # 2024-01-01: products and prices predate every customer
API_VERSION = "2026-10-28.endive"  # the account's default version, the one its objects are rendered in
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PERIOD_SECONDS = {"month": 30 * DAY, "year": 365 * DAY}
GRACE = 3 * DAY  # dunning: a subscription with no renewal payment is canceled this long after its period ends


def stable_id(prefix: str, *parts: object) -> str:
    """A Stripe-looking id (`cus_…`) that is a pure function of its parts."""
    number = int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:16], "big")
    chars = []
    for _ in range(20):
        number, rest = divmod(number, 62)
        chars.append(ALPHABET[rest])
    return f"{prefix}_{''.join(chars)}"


def chance(*parts: object) -> float:
    """A deterministic number in [0, 1) for a decision about these ids."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big") / 2**64


@dataclass(frozen=True)
class BillingFact:
    txn_id: int
    user_id: int
    type: str
    plan: str | None
    pack_id: str | None
    cents: int | None
    reference_id: int | None
    created: int


@dataclass(frozen=True)
class AppUser:
    user_id: int
    email: str
    name: str


def _list(items: list[dict], url: str) -> dict:
    return {"object": "list", "data": items, "has_more": False, "total_count": len(items), "url": url}


def catalog() -> list[dict]:
    """Products (one per paid plan, one for credit packs) and their prices."""
    objects: list[dict] = []
    base = {"livemode": False, "created": CATALOG_CREATED, "metadata": {}}
    for plan in PAID_PLANS:
        product = f"prod_{plan}"
        objects.append({**base, "id": product, "object": "product", "name": f"VidSpark {plan.title()}",
                        "active": True, "type": "service", "default_price": f"price_{plan}_monthly",
                        "updated": CATALOG_CREATED})
        for interval, factor in (("month", 1), ("year", 10)):
            objects.append({**base, "id": f"price_{plan}_{interval}ly", "object": "price", "product": product,
                            "active": True, "currency": "usd", "unit_amount": PLAN_PRICE_CENTS[plan] * factor,
                            "type": "recurring", "billing_scheme": "per_unit", "nickname": f"{plan} {interval}ly",
                            "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
                            "lookup_key": f"{plan}_{interval}ly"})
    objects.append({**base, "id": "prod_credit_pack", "object": "product", "name": "Credit pack", "active": True,
                    "type": "good", "default_price": None, "updated": CATALOG_CREATED})
    for pack_id, (cents, credits) in CREDIT_PACKS.items():
        objects.append({**base, "id": f"price_{pack_id}", "object": "price", "product": "prod_credit_pack",
                        "active": True, "currency": "usd", "unit_amount": cents, "type": "one_time",
                        "billing_scheme": "per_unit", "nickname": f"{credits} credits", "recurring": None,
                        "lookup_key": pack_id})
    return objects


class AccountBuilder:
    """Builds objects and events user by user, in the order the app billed them."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.objects: dict[str, dict] = {obj["id"]: obj for obj in catalog()}
        self.events: list[dict] = []
        self.prices = {obj["id"]: obj for obj in self.objects.values() if obj["object"] == "price"}
        self.charge_of_purchase: dict[int, str] = {}

    # --- plumbing ---------------------------------------------------------------------------------
    def emit(self, event_type: str, obj: dict, at: int, previous: dict | None = None) -> None:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = previous
        self.events.append({
            "id": stable_id("evt", event_type, obj["id"], at, len(previous or {})), "object": "event",
            "api_version": API_VERSION, "created": at, "type": event_type, "data": data, "livemode": False,
            "pending_webhooks": 0, "request": {"id": None, "idempotency_key": None},
        })

    def put(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def customer(self, user: AppUser, at: int) -> str:
        customer_id = stable_id("cus", user.user_id)
        if customer_id not in self.objects:
            obj = self.put({
                "id": customer_id, "object": "customer", "created": at, "email": user.email, "name": user.name,
                "description": None, "currency": "usd", "balance": 0, "delinquent": False, "livemode": False,
                "metadata": {"user_id": str(user.user_id)}, "invoice_prefix": customer_id[4:12].upper(),
            })
            self.emit("customer.created", obj, at)
        return customer_id

    def balance_transaction(self, source: str, amount: int, at: int, kind: str, fee: int) -> str:
        txn_id = stable_id("txn", source, kind)
        self.put({
            "id": txn_id, "object": "balance_transaction", "amount": amount, "currency": "usd", "created": at,
            "available_on": at + 2 * DAY, "fee": fee, "net": amount - fee, "source": source, "type": kind,
            "reporting_category": {"charge": "charge", "refund": "refund", "adjustment": "dispute"}[kind],
            "status": "available" if at + 2 * DAY <= self.now else "pending", "description": None,
        })
        return txn_id

    def charge(self, key: str, customer: str, amount: int, at: int, description: str, *, invoice: str | None,
               metadata: dict, succeeded: bool = True) -> dict:
        charge_id = stable_id("ch", key)
        fee = round(amount * 0.029) + 30
        obj = self.put({
            "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount if succeeded else 0,
            "amount_refunded": 0, "currency": "usd", "customer": customer, "created": at,
            "description": description, "invoice": invoice, "metadata": metadata, "livemode": False,
            "paid": succeeded, "captured": succeeded, "refunded": False, "disputed": False,
            "status": "succeeded" if succeeded else "failed",
            "failure_code": None if succeeded else "card_declined",
            "failure_message": None if succeeded else "Your card was declined.",
            "balance_transaction": (self.balance_transaction(charge_id, amount, at, "charge", fee)
                                    if succeeded else None),
            "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242", "country": "US"}},
            "outcome": {"type": "authorized" if succeeded else "issuer_declined",
                        "network_status": "approved_by_network" if succeeded else "declined_by_network"},
        })
        self.emit("charge.succeeded" if succeeded else "charge.failed", obj, at)
        return obj

    # --- subscriptions and invoices ------------------------------------------------------------------
    def invoice(self, sub: dict, at: int, period_end: int, reason: str) -> None:
        item = sub["items"]["data"][0]
        price = item["price"]
        invoice_id = stable_id("in", sub["id"], at)
        subtotal = price["unit_amount"]
        discount = round(subtotal * 0.2) if sub["discount"] else 0
        taxed = chance("tax", sub["customer"]) < 0.3
        tax = round((subtotal - discount) * 0.08) if taxed else 0
        total = subtotal - discount + tax
        line = {
            "id": stable_id("il", invoice_id), "object": "line_item", "amount": subtotal, "currency": "usd",
            "description": f"1 × {price['nickname']}", "period": {"start": at, "end": period_end},
            "price": price, "quantity": 1, "type": "subscription", "subscription": sub["id"],
            "subscription_item": item["id"], "proration": False,
            "discount_amounts": [{"amount": discount, "discount": sub["discount"]["id"]}] if discount else [],
            "tax_amounts": [{"amount": tax, "inclusive": False}] if tax else [],
        }
        failed_first = chance("declined", invoice_id) < 0.06
        paid_at = at + 2 * DAY if failed_first else at + 60
        paid = paid_at <= self.now
        obj = self.put({
            "id": invoice_id, "object": "invoice", "customer": sub["customer"], "subscription": sub["id"],
            "created": at, "period_start": at, "period_end": period_end, "currency": "usd",
            "billing_reason": reason, "collection_method": "charge_automatically", "livemode": False,
            "subtotal": subtotal, "subtotal_excluding_tax": subtotal, "tax": tax,
            "total_discount_amounts": line["discount_amounts"], "total": total, "total_excluding_tax": total - tax,
            "amount_due": total, "amount_paid": 0, "amount_remaining": total, "attempt_count": 0,
            "status": "open", "paid": False, "charge": None, "number": f"{sub['customer'][4:12].upper()}-{at}",
            "status_transitions": {"finalized_at": at, "paid_at": None, "voided_at": None},
            "lines": _list([line], f"/v1/invoices/{invoice_id}/lines"), "metadata": {},
        })
        self.emit("invoice.created", obj, at)
        self.emit("invoice.finalized", obj, at)
        if failed_first:
            self.charge(f"{invoice_id}-attempt1", sub["customer"], total, at + 60, "Subscription update",
                        invoice=invoice_id, metadata={}, succeeded=False)
            obj.update(attempt_count=1)
            self.emit("invoice.payment_failed", obj, at + 60)
        if paid:
            charge = self.charge(invoice_id, sub["customer"], total, paid_at, "Subscription payment",
                                 invoice=invoice_id, metadata={"subscription": sub["id"]})
            obj.update(status="paid", paid=True, amount_paid=total, amount_remaining=0, charge=charge["id"],
                       attempt_count=obj["attempt_count"] + 1,
                       status_transitions={"finalized_at": at, "paid_at": paid_at, "voided_at": None})
            self.emit("invoice.paid", obj, paid_at)
        sub["latest_invoice"] = invoice_id

    def start_subscription(self, customer: str, user_id: int, plan: str, at: int) -> dict:
        interval = "year" if chance("annual", user_id) < 0.2 else "month"
        price = self.prices[f"price_{plan}_{interval}ly"]
        sub_id = stable_id("sub", user_id, at)
        coupon = chance("coupon", user_id) < 0.1
        sub = self.put({
            "id": sub_id, "object": "subscription", "customer": customer, "created": at, "start_date": at,
            "status": "active", "currency": "usd", "livemode": False, "collection_method": "charge_automatically",
            "billing_cycle_anchor": at, "current_period_start": at, "current_period_end": at + PERIOD_SECONDS[interval],
            "cancel_at_period_end": False, "canceled_at": None, "ended_at": None, "latest_invoice": None,
            "metadata": {"user_id": str(user_id)},
            "discount": {"id": stable_id("di", sub_id), "object": "discount", "start": at,
                         "coupon": {"id": "LAUNCH20", "object": "coupon", "percent_off": 20.0,
                                    "duration": "forever"}} if coupon else None,
            "items": _list([{"id": stable_id("si", sub_id), "object": "subscription_item", "created": at,
                             "price": price, "quantity": 1, "subscription": sub_id}],
                           f"/v1/subscription_items?subscription={sub_id}"),
        })
        self.invoice(sub, at, sub["current_period_end"], "subscription_create")
        self.emit("customer.subscription.created", sub, at)
        return sub

    def change_plan(self, sub: dict, plan: str, at: int) -> None:
        item = sub["items"]["data"][0]
        interval = item["price"]["recurring"]["interval"]
        previous = {"items": copy.deepcopy(sub["items"]), "current_period_start": sub["current_period_start"],
                    "current_period_end": sub["current_period_end"]}
        item["price"] = self.prices[f"price_{plan}_{interval}ly"]
        sub.update(current_period_start=at, current_period_end=at + PERIOD_SECONDS[interval], billing_cycle_anchor=at)
        self.invoice(sub, at, sub["current_period_end"], "subscription_update")
        self.emit("customer.subscription.updated", sub, at, previous)

    def renew(self, sub: dict, at: int) -> None:
        interval = sub["items"]["data"][0]["price"]["recurring"]["interval"]
        previous = {"current_period_start": sub["current_period_start"],
                    "current_period_end": sub["current_period_end"]}
        sub.update(current_period_start=at, current_period_end=at + PERIOD_SECONDS[interval])
        self.invoice(sub, at, sub["current_period_end"], "subscription_cycle")
        self.emit("customer.subscription.updated", sub, at, previous)

    def cancel(self, sub: dict, at: int) -> None:
        sub.update(status="canceled", canceled_at=at, ended_at=at)
        self.emit("customer.subscription.deleted", sub, at)

    # --- one-off charges -----------------------------------------------------------------------------
    def purchase(self, customer: str, fact: BillingFact) -> None:
        charge = self.charge(f"purchase-{fact.txn_id}", customer, fact.cents or 0, fact.created,
                             f"Credit pack {fact.pack_id}", invoice=None,
                             metadata={"credit_transaction_id": str(fact.txn_id), "pack_id": fact.pack_id or "",
                                       "user_id": str(fact.user_id)})
        self.charge_of_purchase[fact.txn_id] = charge["id"]
        disputed_at = fact.created + 10 * DAY
        if chance("dispute", fact.txn_id) < 0.015 and disputed_at <= self.now:
            lost = disputed_at + 20 * DAY <= self.now and chance("lost", fact.txn_id) < 0.6
            dispute = self.put({
                "id": stable_id("dp", charge["id"]), "object": "dispute", "amount": charge["amount"],
                "currency": "usd", "charge": charge["id"], "created": disputed_at, "livemode": False,
                "reason": "fraudulent" if chance("reason", fact.txn_id) < 0.5 else "product_not_received",
                "status": "lost" if lost else "needs_response", "is_charge_refundable": False, "metadata": {},
                "balance_transactions": [], "evidence_details": {"due_by": disputed_at + 14 * DAY},
            })
            dispute["balance_transactions"] = [self.balance_transaction(dispute["id"], -charge["amount"],
                                                                        disputed_at, "adjustment", 1500)]
            charge["disputed"] = True
            self.emit("charge.dispute.created", dispute, disputed_at)

    def refund(self, fact: BillingFact) -> None:
        charge_id = self.charge_of_purchase.get(fact.reference_id or -1)
        if charge_id is None:
            return
        charge = self.objects[charge_id]
        refund_id = stable_id("re", charge_id, fact.txn_id)
        self.put({
            "id": refund_id, "object": "refund", "amount": charge["amount"], "currency": "usd",
            "charge": charge_id, "created": fact.created, "reason": "requested_by_customer",
            "status": "succeeded", "metadata": {"credit_transaction_id": str(fact.txn_id)},
            "balance_transaction": self.balance_transaction(refund_id, -charge["amount"], fact.created, "refund", 0),
        })
        charge.update(refunded=True, amount_refunded=charge["amount"])
        self.emit("charge.refunded", charge, fact.created)

    # --- one user's billing history ------------------------------------------------------------------
    def user_history(self, user: AppUser, facts: list[BillingFact]) -> None:
        sub: dict | None = None
        for fact in facts:
            if sub is not None and sub["status"] != "canceled" and fact.created > sub["current_period_end"] + GRACE:
                self.cancel(sub, sub["current_period_end"] + GRACE)   # the period ran out without a renewal
            paid_plan = fact.type == "plan_allocation" and fact.plan in PAID_PLANS and (fact.cents or 0) > 0
            if paid_plan:
                customer = self.customer(user, fact.created)
                plan = fact.plan or "pro"
                if sub is None or sub["status"] == "canceled":
                    sub = self.start_subscription(customer, user.user_id, plan, fact.created)
                elif not sub["items"]["data"][0]["price"]["id"].startswith(f"price_{plan}_"):
                    self.change_plan(sub, plan, fact.created)
                elif fact.created >= sub["current_period_end"] - DAY:
                    self.renew(sub, fact.created)
            elif fact.type == "plan_allocation" and sub is not None and sub["status"] != "canceled":
                self.cancel(sub, fact.created)   # back on the free plan
            elif fact.type == "purchase" and (fact.cents or 0) > 0:
                self.purchase(self.customer(user, fact.created), fact)
            elif fact.type == "refund":
                self.refund(fact)
        if sub is not None and sub["status"] != "canceled" and self.now > sub["current_period_end"] + GRACE:
            self.cancel(sub, sub["current_period_end"] + GRACE)   # no renewal came: the user stopped paying


def build_account(users: dict[int, AppUser], facts: list[BillingFact], now: int) -> tuple[list[dict], list[dict]]:
    """Every Stripe object and event implied by the billing facts up to `now`."""
    builder = AccountBuilder(now)
    by_user: dict[int, list[BillingFact]] = defaultdict(list)
    for fact in facts:
        by_user[fact.user_id].append(fact)
    for user_id in sorted(by_user):
        builder.user_history(users[user_id], sorted(by_user[user_id], key=lambda f: (f.created, f.txn_id)))
    return list(builder.objects.values()), builder.events
