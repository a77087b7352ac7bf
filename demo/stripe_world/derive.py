"""Derive the demo Stripe account from the app database's billing facts, in API version `API_VERSION`.

The app's credit ledger says what was billed: a `plan_allocation` with a price opens or renews a
subscription billing period, a `purchase` is a one-off credit pack bought through Checkout, a `refund`
refunds one; a deleted app user is a deleted Stripe customer. From those we build the objects a real
Stripe account holds, in exactly the shapes of the pinned version (the installed SDK's typed classes; a
contract test checks every field): customers, products, prices (`unit_amount_decimal`), coupons, a tax
rate, subscriptions (periods on their items, `discounts` by id, cancellations at period end, add-ons as items of
their own when a ledger names them), discounts (each subscription's coupon, announced by `customer.discount.created`),
invoices (`parent.subscription_details`, `total_taxes`, lines with `pricing` and proration flags, prorations first,
every line stored: the server embeds the first 10 as Stripe does),
invoice payments linking invoices to payment intents, payment intents and charges (no `invoice` field),
refunds, disputes (inquiries that move no money, and lost or won disputes that do), balance
transactions, and the events Stripe would have sent (`invoice.upcoming` without an id, `customer.deleted`
with the full customer). Every id and every chance (annual billing, coupons, tax, failed first payment
attempts, disputes, customers erased on request) comes from a hash of app ids, so the same app data always
gives the same account, and re-deriving after `demo advance` only adds or changes what is new: nothing is
ever dated before the fact that causes it.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from demo.app_world.catalog import CREDIT_PACKS, PAID_PLANS, PLAN_PRICE_CENTS

DAY = 86_400
CATALOG_CREATED = 1_704_067_200  # 2024-01-01: products, prices and coupons predate every customer
API_VERSION = "2026-10-28.endive"  # the account's default version, the one its objects are rendered in
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PERIOD_SECONDS = {"month": 30 * DAY, "year": 365 * DAY}
GRACE = 3 * DAY  # dunning: a subscription with no renewal payment is canceled this long after its period ends
UPCOMING_NOTICE = 7 * DAY  # invoice.upcoming is sent this long before a renewal (the account's setting)
ERASE_AFTER = 30 * DAY  # a customer erased on request goes this long after their last billing
ANNUAL_SHARE = 0.25
TAX_PERCENT = 8.0
TAX_RATE_ID = "txr_us_sales_tax_8"
COUPONS = {  # id -> (percent_off, amount_off, name); both forever
    "LAUNCH20": (20.0, None, "Launch 20% off"),
    "FRIENDS5": (None, 500, "Friends $5 off"),
}
DISPUTE_RESOLVES = 20 * DAY
# Add-ons a subscription can carry besides its plan, each its own product and monthly price (a subscription item of
# its own). The app sells none: only a ledger that names them (`BillingFact(type="addon", pack_id=<add-on>)`, as
# demo/stripe_world/scenario.py's) gets them, so the demo world's account has no add-ons.
ADDONS = {f"voice_{language}": (300, f"Voice pack {language.upper()}")
          for language in ("fr", "de", "es", "pt", "it", "ja", "ko", "zh", "hi", "ar")}


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


# --- the account's chances, each a pure function of ids (demo/stripe_world/scenario.py picks ids by them) ------

def is_annual(user_id: int) -> bool:
    return chance("annual", user_id) < ANNUAL_SHARE


def coupon_of(user_id: int) -> str | None:
    roll = chance("coupon", user_id)
    return "LAUNCH20" if roll < 0.1 else "FRIENDS5" if roll < 0.13 else None


def is_taxed(customer_id: str) -> bool:
    return chance("tax", customer_id) < 0.3


def erased_on_request(user_id: int) -> bool:
    return chance("erase", user_id) < 0.15


def declined_first(invoice_id: str) -> bool:
    return chance("declined", invoice_id) < 0.06


def dispute_of(txn_id: int) -> str | None:
    """None, "inquiry" or "chargeback" for a credit-pack purchase."""
    if chance("dispute", txn_id) >= 0.02:
        return None
    return "inquiry" if chance("inquiry", txn_id) < 0.4 else "chargeback"


def chargeback_lost(txn_id: int) -> bool:
    return chance("lost", txn_id) < 0.65


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
    deleted_at: int | None = None  # when the app user was deleted (their Stripe customer is deleted then)


def _list(items: list[dict], url: str) -> dict:
    return {"object": "list", "data": items, "has_more": False, "url": url}


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _date(at: int) -> str:
    return time.strftime("%d %b %Y", time.gmtime(at))


# --- the catalog -----------------------------------------------------------------------------------------------

def _price(price_id: str, product: str, cents: int, nickname: str, lookup_key: str,
           interval: str | None) -> dict:
    return {
        "id": price_id, "object": "price", "active": True, "billing_scheme": "per_unit", "created": CATALOG_CREATED,
        "currency": "usd", "custom_unit_amount": None, "livemode": False, "lookup_key": lookup_key, "metadata": {},
        "nickname": nickname, "product": product,
        "recurring": {"interval": interval, "interval_count": 1, "meter": None, "trial_period_days": None,
                      "usage_type": "licensed"} if interval else None,
        "tax_behavior": "exclusive", "tiers_mode": None, "transform_quantity": None,
        "type": "recurring" if interval else "one_time", "unit_amount": cents, "unit_amount_decimal": str(cents),
    }


def _product(product_id: str, name: str, kind: str, default_price: str | None) -> dict:
    return {
        "id": product_id, "object": "product", "active": True, "created": CATALOG_CREATED,
        "default_price": default_price, "description": None, "images": [], "livemode": False,
        "marketing_features": [], "metadata": {}, "name": name, "package_dimensions": None, "shippable": None,
        "statement_descriptor": None, "tax_code": None, "type": kind, "unit_label": None,
        "updated": CATALOG_CREATED, "url": None,
    }


def _coupon(coupon_id: str) -> dict:
    percent_off, amount_off, name = COUPONS[coupon_id]
    return {
        "id": coupon_id, "object": "coupon", "amount_off": amount_off, "created": CATALOG_CREATED,
        "currency": "usd" if amount_off else None, "duration": "forever", "duration_in_months": None,
        "livemode": False, "max_redemptions": None, "metadata": {}, "name": name, "percent_off": percent_off,
        "redeem_by": None, "times_redeemed": 0, "valid": True,
    }


def _tax_rate() -> dict:
    return {
        "id": TAX_RATE_ID, "object": "tax_rate", "active": True, "country": "US", "created": CATALOG_CREATED,
        "description": "US sales tax", "display_name": "Sales tax", "effective_percentage": TAX_PERCENT,
        "flat_amount": None, "inclusive": False, "jurisdiction": "US", "jurisdiction_level": "country",
        "livemode": False, "metadata": {}, "percentage": TAX_PERCENT, "rate_type": "percentage", "state": None,
        "tax_type": "sales_tax",
    }


def catalog() -> list[dict]:
    """Products (one per paid plan, one for credit packs), their prices, the coupons and the tax rate."""
    objects: list[dict] = []
    for plan in PAID_PLANS:
        product = f"prod_{plan}"
        objects.append(_product(product, f"VidSpark {plan.title()}", "service", f"price_{plan}_monthly"))
        for interval, factor in (("month", 1), ("year", 10)):
            objects.append(_price(f"price_{plan}_{interval}ly", product, PLAN_PRICE_CENTS[plan] * factor,
                                  f"{plan} {interval}ly", f"{plan}_{interval}ly", interval))
    objects.append(_product("prod_credit_pack", "Credit pack", "good", None))
    for pack_id, (cents, credits) in CREDIT_PACKS.items():
        objects.append(_price(f"price_{pack_id}", "prod_credit_pack", cents, f"{credits} credits", pack_id, None))
    objects += [_coupon(coupon_id) for coupon_id in COUPONS]
    objects.append(_tax_rate())
    return objects


def _plan(price: dict) -> dict:
    """The legacy `plan` view of a recurring price that subscription items still carry."""
    return {
        "id": price["id"], "object": "plan", "active": price["active"], "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"], "billing_scheme": price["billing_scheme"],
        "created": price["created"], "currency": price["currency"], "interval": price["recurring"]["interval"],
        "interval_count": 1, "livemode": False, "metadata": {}, "meter": None, "nickname": price["nickname"],
        "product": price["product"], "tiers_mode": None, "transform_usage": None, "trial_period_days": None,
        "usage_type": "licensed",
    }


@dataclass
class SubscriptionState:
    """What the builder remembers about a subscription between facts (not part of the Stripe object)."""

    obj: dict
    coupon: str | None
    taxed: bool
    billed_line: tuple[str, str] | None = None  # (invoice, line) that billed the current period
    upcoming_sent: set[int] = field(default_factory=set)

    @property
    def item(self) -> dict:
        """The plan's item (the first); add-ons are the items after it."""
        return self.obj["items"]["data"][0]

    @property
    def items(self) -> list[dict]:
        return self.obj["items"]["data"]

    @property
    def period_end(self) -> int:
        return self.item["current_period_end"]

    @property
    def live(self) -> bool:
        return self.obj["status"] != "canceled"


class AccountBuilder:
    """Builds objects and events user by user, in the order the app billed them."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.objects: dict[str, dict] = {obj["id"]: obj for obj in catalog()}
        self.events: list[dict] = []
        self.prices = {obj["id"]: obj for obj in self.objects.values() if obj["object"] == "price"}
        self.charge_of_purchase: dict[int, str] = {}

    # --- plumbing ---------------------------------------------------------------------------------------------
    def emit(self, event_type: str, obj: dict, at: int, previous: dict | None = None, key: object = None) -> None:
        snapshot = copy.deepcopy(obj)
        for embedded in snapshot.get("balance_transactions") or []:  # a dispute's, as they stood at `at`
            embedded["status"] = "available" if embedded["available_on"] <= at else "pending"
        data: dict[str, Any] = {"object": snapshot}
        if previous:
            data["previous_attributes"] = copy.deepcopy(previous)
        self.events.append({
            # `key` tells apart events of one type about one object in one second (two add-ons added at once)
            "id": stable_id("evt", event_type, obj.get("id", key), at, len(previous or {}),
                            *((key,) if key is not None and "id" in obj else ())), "object": "event",
            "api_version": API_VERSION, "created": at, "type": event_type, "data": data, "livemode": False,
            "pending_webhooks": 0, "request": {"id": None, "idempotency_key": None},
        })

    def put(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def addon_price(self, addon: str) -> dict:
        """The add-on's monthly price (its product and price join the catalog when first sold)."""
        price_id = f"price_{addon}_monthly"
        if price_id not in self.prices:
            cents, name = ADDONS[addon]
            self.put(_product(f"prod_{addon}", name, "service", price_id))
            self.prices[price_id] = self.put(_price(price_id, f"prod_{addon}", cents, f"{name} monthly",
                                                    f"{addon}_monthly", "month"))
        return self.prices[price_id]

    def customer(self, user: AppUser, generation: int, at: int) -> dict:
        """The user's Stripe customer; a user who comes back after their customer was deleted gets a new one."""
        customer_id = stable_id("cus", user.user_id) if generation == 0 else stable_id("cus", user.user_id,
                                                                                       generation)
        if customer_id not in self.objects:
            obj = self.put({
                "id": customer_id, "object": "customer", "address": None, "balance": 0, "created": at,
                "currency": "usd", "default_source": None, "delinquent": False, "description": None,
                "discount": None, "email": user.email, "invoice_prefix": customer_id[4:12].upper(),
                "invoice_settings": {"custom_fields": None, "default_payment_method": stable_id("pm", customer_id),
                                     "footer": None, "rendering_options": None},
                "livemode": False, "metadata": {"user_id": str(user.user_id)}, "name": user.name,
                "next_invoice_sequence": 1, "phone": None, "preferred_locales": [], "shipping": None,
                "tax_exempt": "none", "test_clock": None,
            })
            self.emit("customer.created", obj, at)
        return self.objects[customer_id]

    def delete_customer(self, customer: dict, at: int) -> None:
        """Stripe keeps the customer's payments; the customer itself answers `deleted: true` from now on."""
        self.emit("customer.deleted", customer, at)
        customer["deleted"] = True

    def balance_transaction(self, source: str, amount: int, at: int, kind: str, category: str, fee: int,
                            fee_description: str = "Stripe processing fees") -> dict:
        return self.put({
            "id": stable_id("txn", source, category), "object": "balance_transaction", "amount": amount,
            "available_on": at + 2 * DAY, "balance_type": "payments", "created": at, "currency": "usd",
            "description": None, "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None, "currency": "usd", "description": fee_description,
                             "type": "stripe_fee"}] if fee else [],
            "net": amount - fee, "reporting_category": category, "source": source,
            "status": "available" if at + 2 * DAY <= self.now else "pending", "type": kind,
        })

    # --- payments ---------------------------------------------------------------------------------------------
    def payment_intent(self, key: str, customer: dict, amount: int, at: int, description: str | None,
                       metadata: dict) -> dict:
        intent_id = stable_id("pi", key)
        obj = self.put({
            "id": intent_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
            "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{stable_id('s', intent_id)[2:]}", "confirmation_method": "automatic",
            "created": at, "currency": "usd", "customer": customer["id"], "description": description,
            "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": metadata,
            "next_action": None, "on_behalf_of": None,
            "payment_method": customer["invoice_settings"]["default_payment_method"],
            "payment_method_types": ["card"], "processing": None, "receipt_email": None, "review": None,
            "setup_future_usage": None, "shipping": None, "source": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "requires_confirmation", "transfer_data": None,
            "transfer_group": None,
        })
        self.emit("payment_intent.created", obj, at)
        return obj

    def charge(self, key: str, customer: dict, intent: dict, at: int, *, succeeded: bool = True) -> dict:
        """A card charge for the payment intent; it settles the intent or records why it failed."""
        charge_id = stable_id("ch", key)
        amount = intent["amount"]
        fee = round(amount * 0.029) + 30
        obj = self.put({
            "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount if succeeded else 0,
            "amount_refunded": 0, "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": (self.balance_transaction(charge_id, amount, at, "charge", "charge", fee)["id"]
                                    if succeeded else None),
            "billing_details": {"address": {"city": None, "country": "US", "line1": None, "line2": None,
                                            "postal_code": "94107", "state": None},
                                "email": customer["email"], "name": customer["name"], "phone": None,
                                "tax_id": None},
            "calculated_statement_descriptor": "VIDSPARK", "captured": succeeded, "created": at, "currency": "usd",
            "customer": customer["id"], "description": intent["description"], "disputed": False,
            "failure_balance_transaction": None, "failure_code": None if succeeded else "card_declined",
            "failure_message": None if succeeded else "Your card was declined.", "fraud_details": {},
            "livemode": False, "metadata": dict(intent["metadata"]), "on_behalf_of": None,
            "outcome": {"advice_code": None if succeeded else "try_again_later", "network_advice_code": None,
                        "network_decline_code": None, "network_status": ("approved_by_network" if succeeded
                                                                         else "declined_by_network"),
                        "reason": None if succeeded else "generic_decline", "risk_level": "normal",
                        "risk_score": 20 + int(chance("risk", charge_id) * 40),
                        "seller_message": "Payment complete." if succeeded else "The bank did not return any "
                                                                                "further details with this decline.",
                        "type": "authorized" if succeeded else "issuer_declined"},
            "paid": succeeded, "payment_intent": intent["id"], "payment_method": intent["payment_method"],
            "payment_method_details": {"card": {"brand": "visa", "country": "US", "exp_month": 12, "exp_year": 2030,
                                                "funding": "credit", "last4": "4242", "network": "visa"},
                                       "type": "card"},
            "receipt_email": None, "receipt_number": None, "receipt_url": None, "refunded": False, "review": None,
            "shipping": None, "source_transfer": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "succeeded" if succeeded else "failed",
            "transfer_data": None, "transfer_group": None,
        })
        self.emit("charge.succeeded" if succeeded else "charge.failed", obj, at)
        intent["latest_charge"] = charge_id
        if succeeded:
            intent.update(status="succeeded", amount_received=amount, last_payment_error=None)
            self.emit("payment_intent.succeeded", intent, at)
        else:
            intent.update(status="requires_payment_method", last_payment_error={
                "advice_code": "try_again_later", "charge": charge_id, "code": "card_declined",
                "decline_code": "generic_decline", "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                "message": "Your card was declined.", "network_advice_code": None, "network_decline_code": None,
                "param": None, "payment_method_type": "card", "type": "card_error"})
            self.emit("payment_intent.payment_failed", intent, at)
        return obj

    # --- subscriptions and invoices ---------------------------------------------------------------------------
    def _line(self, invoice_id: str, sub: SubscriptionState, price: dict, amount: int, start: int, end: int,
              description: str, *, proration: bool = False, credited: tuple[str, str] | None = None,
              item: dict | None = None) -> dict:
        line_id = stable_id("il", invoice_id, price["id"], start, proration)
        return {
            "id": line_id, "object": "line_item", "amount": amount, "currency": "usd", "description": description,
            "discount_amounts": [], "discountable": not proration, "discounts": [], "invoice": invoice_id,
            "livemode": False, "metadata": {},
            "parent": {"invoice_item_details": None, "type": "subscription_item_details",
                       "subscription_item_details": {
                           "invoice_item": stable_id("ii", line_id) if proration else None, "proration": proration,
                           "proration_details": {"credited_items": {"invoice": credited[0],
                                                                    "invoice_line_items": [credited[1]]}
                                                 if credited else None},
                           "subscription": sub.obj["id"], "subscription_item": (item or sub.item)["id"]}},
            "period": {"end": end, "start": start}, "pretax_credit_amounts": [],
            "pricing": {"price_details": {"price": price["id"], "product": price["product"]},
                        "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]},
            "quantity": 1, "quantity_decimal": "1", "subscription": sub.obj["id"], "subtotal": amount, "taxes": [],
        }

    def _price_lines(self, sub: SubscriptionState, lines: list[dict]) -> dict[str, Any]:
        """Discounts (discountable lines only: never prorations) and tax on each line; the invoice's totals."""
        discount_id = sub.obj["discounts"][0] if sub.obj["discounts"] else None
        percent_off, amount_off, _ = COUPONS[sub.coupon] if sub.coupon else (None, None, None)
        amount_left = amount_off or 0
        for line in lines:
            discount = 0
            if discount_id:  # a proration is not discountable: its amount is already net (classic billing mode)
                if line["discountable"]:
                    discount = round(line["amount"] * percent_off / 100) if percent_off else min(amount_left,
                                                                                                line["amount"])
                    amount_left -= discount if amount_off else 0
                line["discounts"] = [discount_id]
                line["discount_amounts"] = [{"amount": discount, "discount": discount_id}]
            if sub.taxed:
                taxable = line["amount"] - discount
                line["taxes"] = [{"amount": round(taxable * TAX_PERCENT / 100), "tax_behavior": "exclusive",
                                  "tax_rate_details": {"tax_rate": TAX_RATE_ID},
                                  "taxability_reason": "standard_rated", "taxable_amount": taxable,
                                  "type": "tax_rate_details"}]
        subtotal = sum(line["amount"] for line in lines)
        discount = sum(d["amount"] for line in lines for d in line["discount_amounts"])
        tax = sum(t["amount"] for line in lines for t in line["taxes"])
        total = subtotal - discount + tax
        return {
            "discounts": [discount_id] if discount_id else [], "subtotal": subtotal,
            "subtotal_excluding_tax": subtotal,
            "total_discount_amounts": [{"amount": discount, "discount": discount_id}] if discount_id else [],
            "total_taxes": [{"amount": tax, "tax_behavior": "exclusive", "tax_rate_details": {"tax_rate": TAX_RATE_ID},
                             "taxability_reason": "standard_rated",
                             "taxable_amount": sum(t["taxable_amount"] for line in lines for t in line["taxes"]),
                             "type": "tax_rate_details"}] if sub.taxed else [],
            "total": total, "total_excluding_tax": total - tax,
        }

    def _invoice_shell(self, sub: SubscriptionState, invoice_id: str | None, at: int, reason: str,
                       period: tuple[int, int], lines: list[dict], customer: dict) -> dict:
        totals = self._price_lines(sub, lines)
        sub_id = sub.obj["id"]
        return {
            **({"id": invoice_id} if invoice_id else {}), "object": "invoice", "account_country": "US",
            "account_name": "VidSpark", "account_tax_ids": None, "amount_due": totals["total"], "amount_overpaid": 0,
            "amount_paid": 0, "amount_remaining": totals["total"], "amount_shipping": 0, "application": None,
            "attempt_count": 0, "attempted": False, "auto_advance": True,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None,
                              "status": None},
            "automatically_finalizes_at": None, "billing_reason": reason, "collection_method": "charge_automatically",
            "created": at, "currency": "usd", "custom_fields": None, "customer": customer["id"],
            "customer_address": None, "customer_email": customer["email"], "customer_name": customer["name"],
            "customer_phone": None, "customer_shipping": None, "customer_tax_exempt": "none", "customer_tax_ids": [],
            "default_payment_method": None, "default_source": None, "default_tax_rates": [], "description": None,
            "due_date": None, "effective_at": None, "ending_balance": None, "footer": None, "from_invoice": None,
            "hosted_invoice_url": None, "invoice_pdf": None, "issuer": {"account": None, "type": "self"},
            "last_finalization_error": None, "latest_revision": None,
            "lines": _list(lines, f"/v1/invoices/{invoice_id or 'upcoming'}/lines"), "livemode": False,
            "metadata": {}, "next_payment_attempt": None, "number": None, "on_behalf_of": None,
            "parent": {"quote_details": None, "type": "subscription_details",
                       "subscription_details": {"metadata": {}, "subscription": sub_id,
                                                "subscription_proration_date": at if reason == "subscription_update"
                                                else None}},
            "payment_settings": {"default_mandate": None, "payment_method_options": None,
                                 "payment_method_types": None},
            "period_end": period[1], "period_start": period[0], "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0, "receipt_number": None, "rendering": None, "shipping_cost": None,
            "shipping_details": None, "starting_balance": 0, "statement_descriptor": None, "status": "draft",
            "status_details": None,
            "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                                   "voided_at": None},
            "subtotal": totals["subtotal"], "subtotal_excluding_tax": totals["subtotal_excluding_tax"],
            "test_clock": None, "threshold_reason": None, "total": totals["total"],
            "discounts": totals["discounts"], "total_discount_amounts": totals["total_discount_amounts"],
            "total_excluding_tax": totals["total_excluding_tax"], "total_pretax_credit_amounts": [],
            "total_taxes": totals["total_taxes"], "webhooks_delivered_at": None,
        }

    def invoice(self, sub: SubscriptionState, at: int, reason: str, period: tuple[int, int],
                lines: list[dict]) -> dict:
        """A subscription invoice: drafted, finalized and collected through its payment intent."""
        customer = self.objects[sub.obj["customer"]]
        invoice_id = lines[-1]["invoice"]
        obj = self.put(self._invoice_shell(sub, invoice_id, at, reason, period, lines, customer))
        obj["webhooks_delivered_at"] = at
        self.emit("invoice.created", obj, at)
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
        obj.update(status="open", number=f"{customer['invoice_prefix']}-{sequence:04d}", effective_at=at,
                   next_payment_attempt=at + 3600,
                   hosted_invoice_url=f"https://invoice.stripe.com/i/acct_vidspark/test_{invoice_id[3:]}",
                   invoice_pdf=f"https://pay.stripe.com/invoice/acct_vidspark/test_{invoice_id[3:]}/pdf")
        obj["status_transitions"]["finalized_at"] = at
        self.emit("invoice.finalized", obj, at)
        intent = self.payment_intent(invoice_id, customer, obj["amount_due"], at,
                                     "Subscription creation" if reason == "subscription_create"
                                     else "Subscription update", {})
        payment = self.put({
            "id": stable_id("inpay", invoice_id), "object": "invoice_payment", "amount_paid": None,
            "amount_requested": obj["amount_due"], "created": at, "currency": "usd", "invoice": invoice_id,
            "is_default": True, "livemode": False,
            "payment": {"payment_intent": intent["id"], "type": "payment_intent"}, "status": "open",
            "status_transitions": {"canceled_at": None, "paid_at": None},
        })
        failed_first = declined_first(invoice_id)
        paid_at = at + 2 * DAY if failed_first else at + 60
        if failed_first:
            self.charge(f"{invoice_id}-attempt1", customer, intent, at + 60, succeeded=False)
            obj.update(attempt_count=1, attempted=True, next_payment_attempt=paid_at)
            self.emit("invoice.payment_failed", obj, at + 60)
        if paid_at <= self.now:
            self.charge(invoice_id, customer, intent, paid_at)
            payment.update(status="paid", amount_paid=obj["amount_due"])
            payment["status_transitions"]["paid_at"] = paid_at
            self.emit("invoice_payment.paid", payment, paid_at)
            obj.update(status="paid", amount_paid=obj["amount_due"], amount_remaining=0,
                       attempt_count=obj["attempt_count"] + 1, attempted=True, next_payment_attempt=None)
            obj["status_transitions"]["paid_at"] = paid_at
            self.emit("invoice.paid", obj, paid_at)
            self.emit("invoice.payment_succeeded", obj, paid_at)
        return obj

    def _period_line(self, sub: SubscriptionState, invoice_id: str, start: int) -> dict:
        price = sub.item["price"]
        end = start + PERIOD_SECONDS[price["recurring"]["interval"]]
        line = self._line(invoice_id, sub, price, price["unit_amount"], start, end,
                          f"1 × VidSpark {price['product'][5:].title()} (at {_money(price['unit_amount'])} / "
                          f"{price['recurring']['interval']})")
        sub.billed_line = (invoice_id, line["id"])
        return line

    def _period_lines(self, sub: SubscriptionState, invoice_id: str, start: int) -> list[dict]:
        """A new period's lines: the plan's, then one per add-on (each item bills its own price)."""
        lines = [self._period_line(sub, invoice_id, start)]
        for item in sub.items[1:]:
            price = item["price"]
            lines.append(self._line(invoice_id, sub, price, price["unit_amount"], item["current_period_start"],
                                    item["current_period_end"], f"1 × {self.objects[price['product']]['name']} "
                                    f"(at {_money(price['unit_amount'])} / month)", item=item))
        return lines

    def _set_period(self, sub: SubscriptionState, start: int) -> None:
        """Every item shares the subscription's billing cycle (classic billing mode)."""
        end = start + PERIOD_SECONDS[sub.item["price"]["recurring"]["interval"]]
        for item in sub.items:
            item.update(current_period_start=start, current_period_end=end)

    def _set_price(self, sub: SubscriptionState, price: dict) -> None:
        sub.item.update(price=price, plan=_plan(price))

    def start_subscription(self, customer: dict, user_id: int, plan: str, at: int) -> SubscriptionState:
        interval = "year" if is_annual(user_id) else "month"
        price = self.prices[f"price_{plan}_{interval}ly"]
        sub_id = stable_id("sub", user_id, at)
        coupon = coupon_of(user_id)
        taxed = is_taxed(customer["id"])
        discounts = []
        if coupon:
            discount = self.put({
                "id": stable_id("di", sub_id), "object": "discount", "checkout_session": None,
                "customer": customer["id"], "customer_account": None, "end": None, "invoice": None,
                "invoice_item": None, "promotion_code": None, "source": {"coupon": coupon, "type": "coupon"},
                "start": at, "subscription": sub_id, "subscription_item": None,
            })
            discounts = [discount["id"]]
            self.objects[coupon]["times_redeemed"] += 1
            self.emit("customer.discount.created", discount, at)
        obj = self.put({
            "id": sub_id, "object": "subscription", "application": None, "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": at, "billing_cycle_anchor_config": None,
            "billing_mode": {"flexible": None, "type": "classic", "updated_at": None}, "billing_thresholds": None,
            "cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically", "created": at, "currency": "usd",
            "customer": customer["id"], "days_until_due": None,
            "default_payment_method": customer["invoice_settings"]["default_payment_method"],
            "default_source": None, "default_tax_rates": [copy.deepcopy(self.objects[TAX_RATE_ID])] if taxed else [],
            "description": None, "discounts": discounts, "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"account": None, "type": "self"}},
            "items": _list([{"id": stable_id("si", sub_id), "object": "subscription_item", "billing_thresholds": None,
                             "created": at, "current_period_end": 0, "current_period_start": 0, "discounts": [],
                             "metadata": {}, "plan": _plan(price), "price": price, "quantity": 1,
                             "subscription": sub_id, "tax_rates": []}],
                           f"/v1/subscription_items?subscription={sub_id}"),
            "latest_invoice": None, "livemode": False, "metadata": {"user_id": str(user_id)},
            "next_pending_invoice_item_invoice": None, "on_behalf_of": None, "pause_collection": None,
            "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                                 "save_default_payment_method": "off"},
            "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
            "schedule": None, "start_date": at, "status": "active", "test_clock": None, "transfer_data": None,
            "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}}, "trial_start": None,
        })
        sub = SubscriptionState(obj, coupon, taxed)
        self._set_period(sub, at)
        invoice_id = stable_id("in", sub_id, at)
        self.invoice(sub, at, "subscription_create", (at, at), [self._period_line(sub, invoice_id, at)])
        obj["latest_invoice"] = invoice_id
        self.emit("customer.subscription.created", obj, at)
        return sub

    def renew(self, sub: SubscriptionState, at: int, price: dict | None = None) -> None:
        """A new period from `at` (at the new price when the plan changed at the renewal)."""
        previous = {"items": copy.deepcopy(sub.obj["items"]), "latest_invoice": sub.obj["latest_invoice"]}
        period = (sub.item["current_period_start"], sub.item["current_period_end"])
        if price is not None:
            self._set_price(sub, price)
        self._set_period(sub, at)
        invoice_id = stable_id("in", sub.obj["id"], at)
        # A renewal invoice's own period is the period just ended; its line bills the new one.
        self.invoice(sub, at, "subscription_cycle", period, self._period_lines(sub, invoice_id, at))
        sub.obj["latest_invoice"] = invoice_id
        self.emit("customer.subscription.updated", sub.obj, at, previous)

    def change_plan(self, sub: SubscriptionState, plan: str, at: int) -> None:
        old = sub.item["price"]
        new = self.prices[f"price_{plan}_{old['recurring']['interval']}ly"]
        if at >= sub.period_end - DAY:  # the change takes effect with the renewal
            self.renew(sub, at, new)
            return
        previous = {"items": copy.deepcopy(sub.obj["items"])}
        if new["unit_amount"] < old["unit_amount"]:  # a downgrade now, without proration: the next renewal bills it
            self._set_price(sub, new)
            self.emit("customer.subscription.updated", sub.obj, at, previous)
            return
        # An upgrade restarts the billing cycle now: the unused time of the old price is credited (a proration,
        # listed first, net of the subscription's discount as Stripe's classic billing mode computes it), then the
        # new price's full period is billed.
        start, end = sub.item["current_period_start"], sub.period_end
        unused = round(self._net_price(sub, old) * (end - at) / (end - start))
        invoice_id = stable_id("in", sub.obj["id"], at)
        credits = [self._line(invoice_id, sub, old, -unused, at, end,
                              f"Unused time on VidSpark {old['product'][5:].title()} after {_date(at)}",
                              proration=True, credited=sub.billed_line)]
        for item in sub.items[1:]:  # add-ons restart with the cycle too: their unused time is credited as well
            item_unused = round(self._net_price(sub, item["price"]) * (end - at) / (end - start))
            credits.append(self._line(
                invoice_id, sub, item["price"], -item_unused, at, end,
                f"Unused time on {self.objects[item['price']['product']]['name']} after {_date(at)}",
                proration=True, item=item))
        previous.update(billing_cycle_anchor=sub.obj["billing_cycle_anchor"], latest_invoice=sub.obj["latest_invoice"])
        self._set_price(sub, new)
        self._set_period(sub, at)
        sub.obj["billing_cycle_anchor"] = at
        self.invoice(sub, at, "subscription_update", (at, at), [*credits, *self._period_lines(sub, invoice_id, at)])
        sub.obj["latest_invoice"] = invoice_id
        self.emit("customer.subscription.updated", sub.obj, at, previous)

    def add_addon(self, sub: SubscriptionState, addon: str, at: int) -> None:
        """An add-on joins the subscription as an item of its own, without proration (`proration_behavior:
        none`): it shares the subscription's billing cycle and is first billed by the next renewal invoice, one line
        per item, after the plan's line."""
        price = self.addon_price(addon)
        if any(item["price"]["id"] == price["id"] for item in sub.items):
            return
        previous = {"items": copy.deepcopy(sub.obj["items"])}
        sub.items.append({
            "id": stable_id("si", sub.obj["id"], addon), "object": "subscription_item", "billing_thresholds": None,
            "created": at, "current_period_end": sub.period_end,
            "current_period_start": sub.item["current_period_start"], "discounts": [], "metadata": {},
            "plan": _plan(price), "price": price, "quantity": 1, "subscription": sub.obj["id"], "tax_rates": []})
        self.emit("customer.subscription.updated", sub.obj, at, previous, key=addon)

    @staticmethod
    def _net_price(sub: SubscriptionState, price: dict) -> int:
        """What one period of `price` costs after the subscription's coupon."""
        if not sub.coupon:
            return price["unit_amount"]
        percent_off, amount_off, _ = COUPONS[sub.coupon]
        off = round(price["unit_amount"] * percent_off / 100) if percent_off else min(amount_off, price["unit_amount"])
        return price["unit_amount"] - off

    def upcoming(self, sub: SubscriptionState, at: int) -> None:
        """invoice.upcoming: a preview of the renewal invoice, which has no id yet."""
        customer = self.objects[sub.obj["customer"]]
        start = sub.period_end
        state = SubscriptionState(copy.deepcopy(sub.obj), sub.coupon, sub.taxed)
        self._set_period(state, start)
        lines = self._period_lines(state, "", start)
        for position, line in enumerate(lines):
            price = () if position == 0 else (line["pricing"]["price_details"]["price"],)
            line.update(id=stable_id("il_tmp", sub.obj["id"], start, *price), invoice=None)
        preview = self._invoice_shell(sub, None, at, "upcoming", (sub.item["current_period_start"], start), lines,
                                      customer)
        preview["next_payment_attempt"] = start
        sub.upcoming_sent.add(start)
        self.emit("invoice.upcoming", preview, at, key=f"{sub.obj['id']}|{start}")

    def end_subscription(self, sub: SubscriptionState, at: int, reason: str) -> None:
        previous = {"status": sub.obj["status"], "ended_at": None}
        sub.obj.update(status="canceled", ended_at=at, canceled_at=sub.obj["canceled_at"] or at)
        sub.obj["cancellation_details"]["reason"] = sub.obj["cancellation_details"]["reason"] or reason
        self.emit("customer.subscription.deleted", sub.obj, at, previous)

    def schedule_cancel(self, sub: SubscriptionState, at: int) -> None:
        """The customer cancels; the subscription runs to the end of the period they paid for."""
        previous = {"cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
                    "cancellation_details": copy.deepcopy(sub.obj["cancellation_details"])}
        sub.obj.update(cancel_at=sub.period_end, cancel_at_period_end=True, canceled_at=at)
        sub.obj["cancellation_details"]["reason"] = "cancellation_requested"
        self.emit("customer.subscription.updated", sub.obj, at, previous)

    def reactivate(self, sub: SubscriptionState, at: int) -> None:
        previous = {key: copy.deepcopy(sub.obj[key]) for key in ("cancel_at", "cancel_at_period_end", "canceled_at",
                                                                 "cancellation_details")}
        sub.obj.update(cancel_at=None, cancel_at_period_end=False, canceled_at=None)
        sub.obj["cancellation_details"]["reason"] = None
        self.emit("customer.subscription.updated", sub.obj, at, previous)

    def catch_up(self, sub: SubscriptionState | None, until: int) -> None:
        """What Stripe does on its own by `until`: the renewal notice, the end of a canceled or unpaid period."""
        if sub is None or not sub.live:
            return
        end = sub.period_end
        notice = end - UPCOMING_NOTICE
        if not sub.obj["cancel_at_period_end"] and end not in sub.upcoming_sent and notice <= until:
            self.upcoming(sub, notice)
        if sub.obj["cancel_at_period_end"] and end <= until:
            self.end_subscription(sub, end, "cancellation_requested")
        elif end + GRACE < until:  # no renewal came: the user stopped paying
            self.end_subscription(sub, end + GRACE, "payment_failed")

    # --- one-off charges --------------------------------------------------------------------------------------
    def purchase(self, customer: dict, fact: BillingFact, refunded_at: int | None) -> None:
        """A credit pack bought through Checkout: a payment intent and its charge, no invoice."""
        metadata = {"credit_transaction_id": str(fact.txn_id), "pack_id": fact.pack_id or "",
                    "user_id": str(fact.user_id)}
        intent = self.payment_intent(f"purchase-{fact.txn_id}", customer, fact.cents or 0, fact.created,
                                     f"Credit pack {fact.pack_id}", metadata)
        charge = self.charge(f"purchase-{fact.txn_id}", customer, intent, fact.created)
        self.charge_of_purchase[fact.txn_id] = charge["id"]
        disputed_at = fact.created + 10 * DAY
        kind = dispute_of(fact.txn_id)
        if kind is not None and disputed_at <= self.now:
            # A refunded charge only ever draws an inquiry (the bank asks, the refund answers it).
            inquiry = kind == "inquiry" or (refunded_at is not None and refunded_at <= disputed_at)
            self.dispute(charge, fact.txn_id, disputed_at, inquiry)

    def dispute(self, charge: dict, key: int, at: int, inquiry: bool) -> None:
        dispute_id = stable_id("dp", charge["id"])
        resolved_at = at + DISPUTE_RESOLVES
        obj = self.put({
            "id": dispute_id, "object": "dispute", "amount": charge["amount"], "balance_transactions": [],
            "charge": charge["id"], "created": at, "currency": "usd", "enhanced_eligibility_types": [],
            "evidence": {"access_activity_log": None, "billing_address": None, "cancellation_policy": None,
                         "customer_email_address": None, "customer_name": None, "product_description": None,
                         "refund_policy": None, "uncategorized_text": None},
            "evidence_details": {"due_by": at + 14 * DAY, "enhanced_eligibility": {}, "has_evidence": False,
                                 "past_due": False, "submission_count": 0},
            "is_charge_refundable": inquiry, "livemode": False, "metadata": {}, "network_reason_code": "10.4",
            "payment_intent": charge["payment_intent"],
            "payment_method_details": {"card": {"brand": "visa", "case_type": "inquiry" if inquiry else "chargeback",
                                                "network_reason_code": "10.4"}, "type": "card"},
            "reason": "fraudulent" if chance("reason", key) < 0.5 else "product_not_received",
            "status": "warning_needs_response" if inquiry else "needs_response",
        })
        if not inquiry:  # a chargeback takes the money (and the dispute fee) at once
            obj["balance_transactions"].append(self.balance_transaction(
                dispute_id, -charge["amount"], at, "adjustment", "dispute", 1500, "Dispute fee"))
        charge["disputed"] = True
        self.emit("charge.dispute.created", obj, at)
        if not inquiry:
            self.emit("charge.dispute.funds_withdrawn", obj, at)
        if resolved_at > self.now:
            return
        previous = {"status": obj["status"]}
        if inquiry:
            obj["status"] = "warning_closed"
        elif chargeback_lost(key):
            obj["status"] = "lost"
        else:
            obj["status"] = "won"
            obj["balance_transactions"].append(self.balance_transaction(
                dispute_id, charge["amount"], resolved_at, "adjustment", "dispute_reversal", 0))
            self.emit("charge.dispute.funds_reinstated", obj, resolved_at, previous)
        obj["evidence_details"]["past_due"] = False
        self.emit("charge.dispute.closed", obj, resolved_at, previous)

    def refund(self, fact: BillingFact) -> None:
        charge_id = self.charge_of_purchase.get(fact.reference_id or -1)
        if charge_id is None:
            return
        charge = self.objects[charge_id]
        refund_id = stable_id("re", charge_id, fact.txn_id)
        refund = self.put({
            "id": refund_id, "object": "refund", "amount": charge["amount"],
            "balance_transaction": self.balance_transaction(refund_id, -charge["amount"], fact.created, "refund",
                                                            "refund", 0)["id"],
            "charge": charge_id, "created": fact.created, "currency": "usd",
            "destination_details": {"card": {"reference": None, "reference_status": "pending",
                                             "reference_type": "acquirer_reference_number", "type": "refund"},
                                    "type": "card"},
            "metadata": {"credit_transaction_id": str(fact.txn_id)}, "payment_intent": charge["payment_intent"],
            "reason": "requested_by_customer", "receipt_number": None, "source_transfer_reversal": None,
            "status": "succeeded", "transfer_reversal": None,
        })
        previous = {"amount_refunded": 0, "refunded": False}
        charge.update(refunded=True, amount_refunded=charge["amount"])
        self.emit("refund.created", refund, fact.created)
        self.emit("charge.refunded", charge, fact.created, previous)

    # --- one user's billing history ---------------------------------------------------------------------------
    def user_history(self, user: AppUser, facts: list[BillingFact]) -> None:
        sub: SubscriptionState | None = None
        customer: dict | None = None
        generation = 0
        last_billed = 0
        erase_on_request = erased_on_request(user.user_id)
        refunded_at = {fact.reference_id: fact.created for fact in facts if fact.type == "refund"}

        def settle(until: int) -> None:
            """Stripe's own changes up to `until`, and the customer's deletion once it is due."""
            nonlocal customer, generation
            self.catch_up(sub, until)
            if customer is None:
                return
            due = user.deleted_at
            if due is None and erase_on_request and (sub is None or not sub.live):
                due = max(last_billed, sub.obj["ended_at"] if sub else 0) + ERASE_AFTER
            if due is not None and due <= until:
                if sub is not None and sub.live:
                    self.end_subscription(sub, due, "cancellation_requested")
                self.delete_customer(customer, due)
                customer, generation = None, generation + 1

        for fact in facts:
            settle(fact.created)
            paid_plan = fact.type == "plan_allocation" and fact.plan in PAID_PLANS and (fact.cents or 0) > 0
            if paid_plan:
                customer = customer or self.customer(user, generation, fact.created)
                last_billed = fact.created
                plan = fact.plan or "pro"
                if sub is None or not sub.live:
                    sub = self.start_subscription(customer, user.user_id, plan, fact.created)
                else:
                    if sub.obj["cancel_at_period_end"]:
                        self.reactivate(sub, fact.created)
                    if not sub.item["price"]["id"].startswith(f"price_{plan}_"):
                        self.change_plan(sub, plan, fact.created)
                    elif fact.created >= sub.period_end - DAY:
                        self.renew(sub, fact.created)
            elif fact.type == "plan_allocation" and sub is not None and sub.live:
                # Back on the free plan: canceled at once near the period's end, else at the end of the paid period.
                if fact.created < sub.period_end - DAY:
                    if not sub.obj["cancel_at_period_end"]:
                        self.schedule_cancel(sub, fact.created)
                else:
                    self.end_subscription(sub, fact.created, "cancellation_requested")
            elif fact.type == "purchase" and (fact.cents or 0) > 0:
                customer = customer or self.customer(user, generation, fact.created)
                last_billed = fact.created
                self.purchase(customer, fact, refunded_at.get(fact.txn_id))
            elif fact.type == "refund":
                self.refund(fact)
            elif fact.type == "addon" and sub is not None and sub.live and fact.pack_id in ADDONS:
                self.add_addon(sub, fact.pack_id, fact.created)
        settle(self.now)


def build_account(users: dict[int, AppUser], facts: list[BillingFact], now: int) -> tuple[list[dict], list[dict]]:
    """Every Stripe object and event implied by the billing facts up to `now`."""
    builder = AccountBuilder(now)
    by_user: dict[int, list[BillingFact]] = defaultdict(list)
    for fact in facts:
        by_user[fact.user_id].append(fact)
    for user_id in sorted(by_user):
        builder.user_history(users[user_id], sorted(by_user[user_id], key=lambda f: (f.created, f.txn_id)))
    return list(builder.objects.values()), builder.events
