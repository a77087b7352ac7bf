"""The contract between Reelhouse and Stripe's pinned API version (2026-10-28.endive).

Stripe's definition of that version is the installed SDK's typed classes (tests/contracts/stripe_contract.py);
this file checks (a) that the demo account, production and the SDK name the same version, (b) that every object
and event the demo server serves has only fields of that version, with their types, (c) that every JSON path a
`stg_stripe__*` model reads exists in it, and (d) that the checker itself passes Stripe's own published fixtures.
Each check also has a test proving it reports what it must.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import stripe
from stripe_contract import json_reads, object_type_of_table, path_problem, problems, staging_problems

REPO = Path(__file__).resolve().parents[2]
STAGING = REPO / "dbt_project" / "models" / "staging" / "stripe"
FIXTURES = REPO / "tests" / "fixtures" / "stripe" / "fixtures3_subset.json"

# Fields Stripe's published fixtures (github:stripe/openapi, openapi/fixtures3.json) still carry although the
# pinned version removed them; the fixtures are generated and lag the spec. Each entry must still be reported
# (test_the_fixture_allow_list_is_not_stale), so it cannot hide anything once the fixtures catch up.
FIXTURE_ALLOW_LIST = {
    # Invoice.subscription moved to parent.subscription_details.subscription in 2025-03-31.basil.
    ("invoice", "subscription: not a field of stripe.Invoice in this version"),
    # The fixture event is a plan.* event; Plan.aggregate_usage went with legacy usage-based billing (basil).
    ("event", "data.object.aggregate_usage: not a field of stripe.Plan in this version"),
}


# --- (a) one version everywhere ------------------------------------------------------------------------------

def test_demo_production_and_sdk_pin_the_same_api_version():
    from demo.stripe_world.derive import API_VERSION
    from ingestion.stripe.version import STRIPE_API_VERSION

    sdk = stripe._api_version._ApiVersion.CURRENT
    assert API_VERSION == STRIPE_API_VERSION == sdk == "2026-10-28.endive", (API_VERSION, STRIPE_API_VERSION, sdk)


# --- (b) every object the demo server serves ---------------------------------------------------------------

def _get(server, path: str, params: dict | None = None) -> dict:
    response = httpx.get(f"{server.base_url}{path}", params=params, timeout=60,
                         headers={"Authorization": f"Bearer {server.api_key}", "Stripe-Version": "2026-10-28.endive"})
    assert response.status_code == 200, response.text
    return response.json()


def _every(server, resource: str, extra: dict | None = None) -> list[dict]:
    """The raw JSON of every object of a list endpoint, page by page (the wire format, not SDK objects)."""
    items: list[dict] = []
    params = {"limit": 100, **({"status": "all"} if resource == "subscriptions" else {}), **(extra or {})}
    while True:
        page = _get(server, f"/v1/{resource}", params)
        assert not problems({k: v for k, v in page.items() if k != "data"} | {"data": []}), page.keys()
        items += page["data"]
        if not page["has_more"]:
            return items
        params["starting_after"] = page["data"][-1]["id"]


def _report(found: list[str], limit: int = 40) -> str:
    """Problems with list indices folded ([3] -> [*]), each once, so one shape error is one line."""
    folded = sorted({re.sub(r"\[\d+\]", "[*]", problem) for problem in found})
    return "\n".join(folded[:limit]) + (f"\n... {len(folded) - limit} more" if len(folded) > limit else "")


@pytest.fixture(scope="module", params=["demo_world", "covering_scenario"])
def served(request, fresh_database):
    """Everything the demo server answers, for the generated demo world and for the covering scenario (one of
    every case the derivation has): each resource listed, each type retrieved, events, expansions."""
    from demo.stripe_world.background import running_stripe_server
    from demo.stripe_world.derive import build_account
    from demo.stripe_world.scenario import scenario
    from demo.stripe_world.store import RESOURCES, ensure_schema, save
    from reelhouse.warehouse import connect

    if request.param == "demo_world":
        store_url = request.getfixturevalue("demo_world")["stripe_url"]
    else:
        store_url = fresh_database("stripe_contract_scenario")
        with connect(store_url) as conn:
            ensure_schema(conn)
            save(conn, *build_account(*scenario()))
            conn.commit()
    with running_stripe_server(store_url) as server:
        listed = {resource: _every(server, resource) for resource in RESOURCES}
        events = _every(server, "events")
        retrieved = [_get(server, f"/v1/{resource}/{objects[0]['id']}") for resource, objects in listed.items()
                     if objects]
        expanded = _every(server, "subscriptions", {"expand[]": ["data.discounts.source.coupon", "data.customer",
                                                                 "data.latest_invoice"]})
        expanded += _every(server, "invoices", {"expand[]": ["data.discounts", "data.total_discount_amounts.discount"]})
        deleted = [event["data"]["object"]["id"] for event in events if event["type"] == "customer.deleted"]
        stubs = [_get(server, f"/v1/customers/{customer_id}") for customer_id in deleted]
        # Every line of every invoice whose embedded list is incomplete, through its lines endpoint, 5 per page.
        lines = {}
        for invoice in listed["invoices"]:
            if invoice["lines"]["has_more"]:
                pages = [_get(server, f"/v1/invoices/{invoice['id']}/lines", {"limit": 5})]
                while pages[-1]["has_more"]:
                    pages.append(_get(server, f"/v1/invoices/{invoice['id']}/lines",
                                      {"limit": 5, "starting_after": pages[-1]["data"][-1]["id"]}))
                lines[invoice["id"]] = pages
    return {"listed": listed, "events": events, "retrieved": retrieved, "expanded": expanded, "stubs": stubs,
            "lines": lines, "store_url": store_url, "scenario": request.param}


def test_every_listed_object_has_only_fields_of_the_pinned_version(served):
    found = [f"{resource}[{i}].{problem}" for resource, objects in served["listed"].items()
             for i, obj in enumerate(objects) for problem in problems(obj)]
    assert all(served["listed"][resource] for resource in ("customers", "invoices", "invoice_payments", "charges",
                                                            "disputes", "refunds", "coupons", "payment_intents"))
    assert not found, "fields Stripe's pinned version does not define:\n" + _report(found)


def test_every_event_and_its_object_has_only_fields_of_the_pinned_version(served):
    events = served["events"]
    found = [f"events[{event['type']}].{problem}" for event in events for problem in problems(event)]
    assert {"invoice.upcoming", "customer.deleted", "charge.dispute.created", "invoice_payment.paid"} <= {
        event["type"] for event in events}
    assert not found, "fields Stripe's pinned version does not define:\n" + _report(found)


def test_retrieved_expanded_and_deleted_objects_have_only_fields_of_the_pinned_version(served):
    assert served["stubs"], "the demo account must have a deleted customer"
    assert all(stub == {"id": stub["id"], "object": "customer", "deleted": True} for stub in served["stubs"])
    found = [problem for obj in served["retrieved"] + served["expanded"] + served["stubs"]
             for problem in problems(obj)]
    expanded_discounts = [d for s in served["expanded"] if s["object"] == "subscription" for d in s["discounts"]]
    assert expanded_discounts and all(d["object"] == "discount" and d["source"]["coupon"]["object"] == "coupon"
                                      for d in expanded_discounts)
    assert not found, _report(found)


def test_discount_events_carry_discounts_of_the_pinned_version(served):
    """What the loader lands in raw_stripe.discounts: customer.discount.* events' objects (and the subscriptions'
    expanded discounts above), each a stripe.Discount whose coupon is source.coupon (an id, unexpanded)."""
    discounts = [e["data"]["object"] for e in served["events"] if e["type"].startswith("customer.discount.")]
    assert discounts and all(d["object"] == "discount" and isinstance(d["source"]["coupon"], str) for d in discounts)
    assert not [p for d in discounts for p in problems(d)]


def test_invoices_embed_ten_lines_and_list_the_rest_like_stripe(served):
    """Stripe embeds an invoice's first 10 lines (lines.has_more); GET /v1/invoices/<id>/lines lists them all, in
    order, page by page. The covering scenario has an invoice with 12 lines."""
    from reelhouse.warehouse import connect

    with connect(served["store_url"]) as conn:
        stored = {invoice_id: data["lines"]["data"] for invoice_id, data in conn.execute(
            "SELECT id, data FROM stripe.objects WHERE object_type = 'invoice'")}
    served_invoices = served["listed"]["invoices"] + [o for o in served["retrieved"] if o["object"] == "invoice"]
    served_invoices += [e["data"]["object"] for e in served["events"] if e["data"]["object"]["object"] == "invoice"
                        and "id" in e["data"]["object"]]
    for invoice in served_invoices:
        embedded, full = invoice["lines"]["data"], stored[invoice["id"]]
        assert embedded == full[:10] and invoice["lines"]["has_more"] == (len(full) > 10), invoice["id"]
    assert (max(map(len, stored.values())) > 10) == (served["scenario"] == "covering_scenario")
    assert set(served["lines"]) == {invoice_id for invoice_id, full in stored.items() if len(full) > 10}
    for invoice_id, pages in served["lines"].items():
        assert [line for page in pages for line in page["data"]] == stored[invoice_id]
        assert all(len(page["data"]) <= 5 for page in pages) and not pages[-1]["has_more"]
        assert not [p for page in pages for p in problems({k: v for k, v in page.items() if k != "data"}
                                                          | {"data": []})]
        assert not [p for page in pages for line in page["data"] for p in problems(line)]


# The checker must catch what changed in 2025-03-31.basil and after, wherever it is nested.
@pytest.mark.parametrize(("obj", "expected"), [
    ({"id": "in_1", "object": "invoice", "subscription": "sub_1"}, "subscription: not a field of stripe.Invoice"),
    ({"id": "in_1", "object": "invoice", "tax": 16}, "tax: not a field of stripe.Invoice"),
    ({"id": "ch_1", "object": "charge", "invoice": "in_1"}, "invoice: not a field of stripe.Charge"),
    ({"id": "in_1", "object": "invoice", "lines": {"object": "list", "has_more": False, "url": "/v1/x", "data": [
        {"id": "il_1", "object": "line_item", "price": {"id": "price_1"}}]}},
     "lines.data[0].price: not a field of stripe.InvoiceLineItem"),
    ({"id": "in_1", "object": "invoice", "lines": {"object": "list", "has_more": False, "url": "/v1/x",
                                                   "total_count": 1, "data": []}},
     "lines.total_count: not a field of stripe.ListObject"),
    ({"id": "sub_1", "object": "subscription", "current_period_end": 1}, "current_period_end: not a field"),
    ({"id": "sub_1", "object": "subscription", "discount": None}, "discount: not a field of stripe.Subscription"),
    ({"id": "di_1", "object": "discount", "coupon": {"id": "X"}}, "coupon: not a field of stripe.Discount"),
    ({"id": "in_1", "object": "invoice", "parent": {"type": "subscription_details", "subscription_details": {
        "subscription": "sub_1", "plan": "x"}}}, "parent.subscription_details.plan: not a field"),
    ({"id": "price_1", "object": "price", "unit_amount_decimal": 800}, "unit_amount_decimal: a decimal must be"),
    ({"id": "dp_1", "object": "dispute", "status": "warning_needs_response", "balance_transactions": ["txn_1"]},
     "balance_transactions[0]: expected a BalanceTransaction object"),
    ({"id": "in_1", "object": "invoice", "total": None}, "total: null, but the field is never null"),
    ({"id": "in_1", "object": "invoice", "total": "100"}, "total: expected an integer"),
    ({"id": "in_1", "object": "invoice", "lines": {"object": "list", "has_more": False, "url": "/v1/x", "data": [
        {"id": "ch_1", "object": "charge"}]}}, "lines.data[0]: expected a InvoiceLineItem, got object 'charge'"),
    ({"id": "inpay_1", "object": "invoice_payment", "payment": {"type": "payment_intent", "charge_id": "ch_1"}},
     "payment.charge_id: not a field of stripe.InvoicePayment.Payment"),
    ({"id": "evt_1", "object": "event", "type": "invoice.upcoming", "data": {"object": {
        "object": "invoice", "subscription": "sub_1"}}}, "data.object.subscription: not a field of stripe.Invoice"),
    ({"id": "evt_1", "object": "event", "type": "customer.subscription.updated", "data": {
        "object": {"id": "sub_1", "object": "subscription"}, "previous_attributes": {"current_period_end": 1}}},
     "data.previous_attributes.current_period_end: not a field of stripe.Subscription"),
    ({"id": "evt_1", "object": "event", "type": "not.an.event.type", "data": {"object": {"object": "customer"}}},
     "type: 'not.an.event.type' is not one of"),
    ({"object": "gadget"}, "'gadget' is no Stripe object type"),
])
def test_the_object_checker_reports_fields_stripe_moved_or_never_had(obj, expected):
    found = problems(obj)
    assert any(expected in problem for problem in found), found


def test_the_object_checker_passes_a_well_formed_object():
    line = {"id": "il_1", "object": "line_item", "amount": 800, "currency": "usd", "period": {"start": 1, "end": 2},
            "pricing": {"type": "price_details", "unit_amount_decimal": "800",
                        "price_details": {"price": "price_1", "product": "prod_1"}},
            "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                       "subscription_item_details": {"subscription": "sub_1", "subscription_item": "si_1",
                                                     "proration": False, "invoice_item": None,
                                                     "proration_details": {"credited_items": None}}}}
    invoice = {"object": "invoice", "total": 864, "discounts": ["di_1"], "metadata": {"a": "b"},
               "total_taxes": [{"amount": 64, "tax_behavior": "exclusive", "taxability_reason": "standard_rated",
                                "taxable_amount": 800, "type": "tax_rate_details",
                                "tax_rate_details": {"tax_rate": "txr_1"}}],
               "lines": {"object": "list", "data": [line], "has_more": False, "url": "/v1/invoices/x/lines"}}
    assert problems(invoice) == []  # an upcoming invoice: no id at all
    assert problems({"id": "cus_1", "object": "customer", "deleted": True}) == []


# --- (c) every JSON path the staging models read --------------------------------------------------------------

def _staging_models() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(STAGING.glob("stg_stripe__*.sql"))}


def test_every_json_path_a_staging_model_reads_exists_in_the_pinned_version():
    models = _staging_models()
    reads = sum(len(json_reads(sql)[1]) for sql in models.values())
    assert len(models) >= 10 and reads >= 80, (len(models), reads)
    # Each staging model is checked against its raw table's object, listed (coupons) or not (discounts).
    assert {name: object_type_of_table(json_reads(models[name])[0][0])
            for name in ("stg_stripe__coupons", "stg_stripe__discounts")} == {
        "stg_stripe__coupons": "coupon", "stg_stripe__discounts": "discount"}
    found = staging_problems(models)
    assert not found, "staging reads fields Stripe's pinned version does not have:\n" + "\n".join(found)


# The shapes the staging models read before the pin (API version 2024-06-20): each must fail the check.
PRE_BASIL_READS = {
    "stg_stripe__invoices": ("invoices", "json_text('data', ['subscription'])", "subscription: not a field"),
    "stg_stripe__invoices_tax": ("invoices", "json_text('data', ['tax'])", "tax: not a field of stripe.Invoice"),
    "stg_stripe__invoices_line": ("invoices", "json_text('data', ['lines', 'data', '0', 'price', 'id'])",
                                  "lines.data.0.price: not a field of stripe.InvoiceLineItem"),
    "stg_stripe__charges": ("charges", "json_id('data', ['invoice'])", "invoice: not a field of stripe.Charge"),
    "stg_stripe__subscriptions": ("subscriptions", "json_text('data', ['current_period_start'])",
                                  "current_period_start: not a field of stripe.Subscription"),
    "stg_stripe__subscriptions_discount": ("subscriptions",
                                           "json_text('data', ['discount', 'coupon', 'percent_off'])",
                                           "discount: not a field of stripe.Subscription"),
    "stg_stripe__discounts": ("subscriptions", "json_text('data', ['discounts', '0', 'coupon'])",
                              "discounts.0.coupon: not a field of stripe.Discount"),
    "stg_stripe__discounts_coupon": ("discounts", "json_id('data', ['coupon'])",
                                     "coupon: not a field of stripe.Discount"),
    "stg_stripe__coupons_applies": ("coupons", "json_text('data', ['applies_to', 'products', '0', 'id'])",
                                    "applies_to.products.0 is a scalar"),
    "stg_stripe__unlisted_table": ("discount_codes", "json_text('data', ['id'])",
                                   "raw_stripe.discount_codes is not a Stripe list endpoint"),
    "stg_stripe__lines_elements": ("invoices", "json_array_sum('line', ['tax_amounts'], 'amount')  "
                                   "{{ json_array_elements_join('invoices.data', ['lines', 'data'], 'line') }}",
                                   "lines.data.0.tax_amounts: not a field of stripe.InvoiceLineItem"),
    "stg_stripe__items_sum": ("invoices", "json_array_sum('data', ['total_taxes'], 'amount', "
                              "where={'inclusive': 'true'})", "total_taxes.0.inclusive: not a field"),
    "stg_stripe__raw_operator": ("invoices", "data ->> 'subscription'", "raw JSON operator ->>"),
    "stg_stripe__two_tables": ("invoices", "json_text('data', ['id']) {{ source('raw_stripe', 'charges') }}",
                               "reads ['charges', 'invoices']"),
}


@pytest.mark.parametrize("name", sorted(PRE_BASIL_READS))
def test_the_staging_check_fails_a_field_stripe_moved(name):
    table, read, expected = PRE_BASIL_READS[name]
    sql = f"select {{{{ {read} }}}} as x from {{{{ source('raw_stripe', '{table}') }}}}"
    found = staging_problems({name: sql})
    assert any(expected in problem for problem in found), found


def test_path_checks_step_through_lists_expansions_and_metadata():
    assert path_problem("invoice", ["parent", "subscription_details", "subscription"]) is None
    assert path_problem("invoice", ["lines", "data", "0", "pricing", "price_details", "price"]) is None
    assert path_problem("subscription", ["items", "data", "0", "price", "recurring", "interval"]) is None
    assert path_problem("subscription", ["discounts", "0", "source", "coupon", "percent_off"]) is None
    assert path_problem("charge", ["metadata", "pack_id"]) is None
    assert path_problem("event", ["data", "object", "id"]) is None
    assert "scalar" in path_problem("invoice", ["total", "amount"])


# --- (d) the checker against Stripe's own fixtures ---------------------------------------------------------

def _fixtures() -> dict[str, dict]:
    return json.loads(FIXTURES.read_text())["resources"]


@pytest.mark.parametrize("object_type", sorted(json.loads(FIXTURES.read_text())["resources"]))
def test_stripes_published_fixtures_pass_the_checker(object_type):
    found = [p for p in problems(_fixtures()[object_type]) if (object_type, p) not in FIXTURE_ALLOW_LIST]
    assert not found, found


def test_the_fixture_allow_list_is_not_stale():
    reported = {(object_type, p) for object_type, obj in _fixtures().items() for p in problems(obj)}
    assert reported >= FIXTURE_ALLOW_LIST, FIXTURE_ALLOW_LIST - reported


def test_a_fixture_made_stale_fails_the_checker():
    invoice = _fixtures()["invoice"]
    invoice["lines"]["data"][0]["tax_amounts"] = []
    invoice["total_taxes"] = [{"amount": 1, "inclusive": False}]
    found = problems(invoice)
    assert "lines.data[0].tax_amounts: not a field of stripe.InvoiceLineItem in this version" in found
    assert "total_taxes[0].inclusive: not a field of stripe.Invoice.TotalTax in this version" in found
