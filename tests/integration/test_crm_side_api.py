"""CRM-side routes (T1, T2), deal search and association (W3) and the activity log (A4), through the API
handler against both sandboxes."""

from __future__ import annotations

import json

import pytest

from crmsync.contracts.queues import CrmTransactionEventMessage
from crmsync.domain.automation import crm_transaction_reference
from crmsync.domain.models import Role
from crmsync.services.crm_native import handle_crm_transaction_event
from tests.conftest import FakeContext, proxy_event

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]

SELLER = {"X-Crm-User-Id": "u-seller"}


@pytest.fixture
def t1(auto):
    """Transaction sync on; the seller may create quotes and sales orders and view invoices; the buyer
    role may view purchase orders."""
    assert auto.api("POST", f"{auto.path}/transactions/enable")[0] == 200
    grants = {
        "grants": [
            {"user_id": "u-seller", "permissions": ["create_quotes", "create_sales_orders", "view_invoices"]},
            {"role_id": "r-buyer", "permissions": ["view_purchase_orders"]},
        ]
    }
    assert auto.api("PUT", f"{auto.path}/crm-permissions", grants)[0] == 200
    return auto


def crm_side(auto, method, path, body=None, user=SELLER, query=None):
    """Call with CRM user headers (the proxy event carries them as API Gateway does)."""
    event = proxy_event(
        method, f"{auto.path}/crm-side{path}", tenant_id=auto.api.tenant_id, body=body, query=query
    )
    event["headers"] = {**(event.get("headers") or {}), **user}
    event["multiValueHeaders"] = {
        **(event.get("multiValueHeaders") or {}),
        **{k: [v] for k, v in user.items()},
    }
    reply = auto.api.handler(event, FakeContext())
    return reply["statusCode"], json.loads(reply["body"]) if reply.get("body") else None


def quote_body(auto, **changes):
    return {
        "account_id": auto.account_id,
        "line_items": [{"product_id": auto.product_id, "quantity": 3}],
        "custom_fields": [{"api_name": "cf_sales_channel", "value": "Partner"}],
        **changes,
    }


# ------------------------------------------------------------------ T1 create from the CRM side
def test_quote_from_the_crm_side_is_created_in_inventory_at_once_with_mapped_records(t1):
    status, body = crm_side(t1, "POST", "/quotes", quote_body(t1))
    assert status == 201 and body["type"] == "quotes" and body["number"].startswith("EST-")
    quote = t1.inventory.get_transaction("estimates", body["transaction_id"]).values
    assert quote["customer_id"] == t1.customer
    [line] = quote["line_items"]
    assert (line["item_id"], line["quantity"], line["rate"]) == (t1.item, 3, 10)
    assert quote["custom_field_hash"]["cf_sales_channel"] == "Partner"
    assert [e.result for e in t1.activity("crm_side_transaction")] == ["created"]


def test_sales_order_for_a_contact_linked_to_a_deal(t1):
    deal_id = t1.new_deal()
    body = quote_body(t1, account_id=None, contact_id=t1.contact_id, deal_id=deal_id, custom_fields=[])
    status, created = crm_side(t1, "POST", "/sales-orders", body)
    assert status == 201 and created["type"] == "sales_orders"
    order = t1.inventory.get_transaction("salesorders", created["transaction_id"]).values
    assert order["customer_id"] == t1.person
    status, listed = crm_side(t1, "GET", f"/deals/{deal_id}/transactions")
    assert status == 200 and [t["transaction_id"] for t in listed["transactions"]] == [
        created["transaction_id"]
    ]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"line_items": [{"product_id": "999", "quantity": 1}]}, "line_items[0].product_id"),
        ({"custom_fields": [{"api_name": "cf_nope", "value": "x"}]}, "custom_fields[0]"),
        ({"contact_id": "1"}, "body"),
    ],
)
def test_crm_side_create_refuses_what_cannot_be_mapped_with_422(t1, change, field):
    status, body = crm_side(t1, "POST", "/quotes", quote_body(t1, **change))
    assert status == 422 and field in [f["field"] for f in body["error"]["details"]["fields"]]


# ------------------------------------------------------------------ T2 grants, T1 and secondary refusals
def test_crm_side_calls_outside_the_grant_are_refused_naming_the_permission(t1):
    status, body = crm_side(t1, "POST", "/sales-orders", quote_body(t1), user={"X-Crm-User-Id": "u-other"})
    assert status == 403 and body["error"]["details"]["permission"] == "create_sales_orders"
    status, body = crm_side(
        t1,
        "GET",
        f"/accounts/{t1.account_id}/transactions",
        user={"X-Crm-User-Id": "u-other", "X-Crm-Role-Id": "r-buyer"},
    )
    assert status == 403 and body["error"]["details"]["permission"] == "view_invoices"
    status, body = crm_side(t1, "GET", "/organization", user={})
    assert status == 422 and "x-crm-user-id" in body["error"]["message"].lower()


def test_crm_side_is_refused_while_transaction_sync_is_off_and_for_a_secondary(auto):
    status, body = crm_side(auto, "POST", "/quotes", quote_body(auto))
    assert status == 409 and "Transaction sync" in body["error"]["message"]
    current = auto.integration
    auto.container.store.save_integration(
        current.model_copy(update={"role": Role.SECONDARY, "two_way": False})
    )
    status, body = crm_side(auto, "GET", f"/deals/{auto.new_deal()}/transactions")
    assert status == 409 and "secondary" in body["error"]["message"]


def test_shared_organization_is_readable_by_any_crm_user(auto):
    status, body = crm_side(auto, "GET", "/organization", user={"X-Crm-User-Id": "anyone"})
    assert status == 200 and body["name"] and body["users"]


# ------------------------------------------------------------------ T1 reading from the CRM side
def test_account_transactions_show_the_kinds_the_user_may_see(t1):
    invoice = t1.inventory.create_transaction(
        "invoices", {"customer_id": t1.customer, "line_items": [{"item_id": t1.item}]}
    )
    crm_side(t1, "POST", "/quotes", quote_body(t1))
    status, body = crm_side(t1, "GET", f"/accounts/{t1.account_id}/transactions")
    assert status == 200
    assert sorted(t["type"] for t in body["transactions"]) == ["invoices", "quotes"]
    assert invoice.id in [t["transaction_id"] for t in body["transactions"]]
    assert crm_side(t1, "GET", "/accounts/123/transactions")[0] == 404


def test_deal_finance_section_lists_the_trigger_made_invoice(t1):
    t1.automation(on_deal_won="create_invoice")
    deal_id = t1.new_deal("Closed Won")
    t1.deliver(deal_id)
    status, body = crm_side(t1, "GET", f"/deals/{deal_id}/transactions")
    assert status == 200
    [invoice] = body["transactions"]
    assert invoice["type"] == "invoices" and invoice["total"] == 1234.5 and invoice["status"] == "draft"
    status, body = crm_side(
        t1, "GET", f"/deals/{deal_id}/transactions", user={"X-Crm-User-Id": "u-x", "X-Crm-Role-Id": "r-buyer"}
    )
    assert status == 200 and body["transactions"] == []  # may see purchase orders, not invoices


# ------------------------------------------------------------------ CRM-native transactions (S2, T1)
def test_sales_order_created_in_the_crm_is_created_in_inventory_once(t1):
    deal_id = t1.new_deal()
    [outcome] = t1.crm.insert_records(
        "Sales_Orders",
        [
            {
                "Subject": "Order 42",
                "Account_Name": {"id": t1.account_id},
                "Deal_Name": {"id": deal_id},
                "Ordered_Items": [{"Product_Name": {"id": t1.product_id}, "Quantity": 2, "List_Price": 12.5}],
            }
        ],
    )
    message = CrmTransactionEventMessage(
        integration_id=t1.integration_id, crm_module="Sales_Orders", record_id=outcome.id, server_time=1
    )
    for _ in range(3):
        handle_crm_transaction_event(t1.container.deps, message)
    [order] = t1.documents("salesorders", crm_transaction_reference("Sales_Orders", outcome.id))
    full = t1.inventory.get_transaction("salesorders", order.id).values
    assert full["customer_id"] == t1.customer and full["notes"] == "Order 42"
    [line] = full["line_items"]
    assert (line["item_id"], line["quantity"], line["rate"]) == (t1.item, 2, 12.5)
    link = t1.container.store.get_deal_link(t1.integration_id, "salesorders", order.id)
    assert link.deal_id == deal_id and not link.trigger_made
    assert [e.result for e in t1.activity("crm_transaction")] == ["created"]


def test_purchase_order_created_in_the_crm_goes_to_its_mapped_vendor(t1):
    [outcome] = t1.crm.insert_records(
        "Purchase_Orders",
        [
            {
                "Subject": "Restock",
                "Vendor_Name": {"id": t1.vendor_id},
                "Purchased_Items": [{"Product_Name": {"id": t1.product_id}, "Quantity": 10}],
            }
        ],
    )
    handle_crm_transaction_event(
        t1.container.deps,
        CrmTransactionEventMessage(
            integration_id=t1.integration_id,
            crm_module="Purchase_Orders",
            record_id=outcome.id,
            server_time=1,
        ),
    )
    [order] = t1.documents("purchaseorders", crm_transaction_reference("Purchase_Orders", outcome.id))
    assert order.values["vendor_name"] == "Global Parts Co."


# ------------------------------------------------------------------ W3 deals
def test_search_a_customers_deals_never_lists_deleted_ones(auto):
    kept = auto.new_deal(name="Kept deal")
    gone = auto.new_deal(name="Deleted deal")
    auto.new_deal(name="Someone else's deal", account=False)
    auto.crm.delete_records("Deals", [gone])
    status, body = auto.api("GET", f"{auto.path}/deals", query={"customer_id": auto.customer})
    assert status == 200 and [d["deal_id"] for d in body["deals"]] == [kept]
    assert body["deals"][0]["account_name"] == auto.account_name
    status, body = auto.api("GET", f"{auto.path}/deals", query={"q": "else"})
    assert status == 200 and [d["deal_name"] for d in body["deals"]] == ["Someone else's deal"]
    assert auto.api("GET", f"{auto.path}/deals")[0] == 422
    assert auto.api("GET", f"{auto.path}/deals", query={"customer_id": "unknown"})[0] == 404


def test_associate_and_dissociate_a_deal_with_an_expense(auto):
    deal_id = auto.new_deal()
    expense = auto.inventory.create_transaction("expenses", {"customer_id": auto.customer, "amount": 42})
    path = f"{auto.path}/transactions/expenses/{expense.id}/deal"
    status, body = auto.api("PUT", path, {"deal_id": deal_id})
    assert status == 200 and body["deal_id"] == deal_id and body["trigger_made"] is False
    other = auto.new_deal(name="Other deal")
    assert auto.api("PUT", path, {"deal_id": other})[1]["deal_id"] == other  # a hand-made link may move
    assert auto.api("DELETE", path)[0] == 204
    assert auto.api("DELETE", path)[0] == 404
    assert auto.api("PUT", path, {"deal_id": "404404"})[0] == 404
    assert auto.api("PUT", f"{auto.path}/transactions/invoices/404404/deal", {"deal_id": deal_id})[0] == 404
    assert (
        auto.api("PUT", f"{auto.path}/transactions/purchase_orders/{expense.id}/deal", {"deal_id": deal_id})[
            0
        ]
        == 422
    )


def test_a_trigger_made_association_cannot_be_dissociated_or_moved(auto):
    auto.automation(on_deal_won="create_invoice")
    deal_id = auto.new_deal("Closed Won")
    auto.deliver(deal_id)
    [invoice] = auto.invoices(deal_id)
    path = f"{auto.path}/transactions/invoices/{invoice.id}/deal"
    status, body = auto.api("DELETE", path)
    assert status == 409 and "trigger" in body["error"]["message"]
    assert auto.api("PUT", path, {"deal_id": auto.new_deal(name="Other")})[0] == 409
    status, body = auto.api("PUT", path, {"deal_id": deal_id})
    assert status == 200 and body["trigger_made"] is True


def test_a_secondary_integration_cannot_associate_deals(auto):
    current = auto.integration
    auto.container.store.save_integration(
        current.model_copy(update={"role": Role.SECONDARY, "two_way": False})
    )
    expense = auto.inventory.create_transaction("expenses", {"customer_id": auto.customer, "amount": 1})
    status, _ = auto.api(
        "PUT", f"{auto.path}/transactions/expenses/{expense.id}/deal", {"deal_id": auto.new_deal()}
    )
    assert status == 409


# ------------------------------------------------------------------ A4 activity
def test_activity_is_listed_newest_first_in_pages(auto):
    auto.automation(on_deal_won="create_invoice")
    for n in range(3):
        auto.deliver(auto.new_deal("Closed Won", name=f"Deal {n}"))
    status, first = auto.api("GET", f"{auto.path}/activity", query={"limit": "2"})
    assert status == 200 and len(first["entries"]) == 2 and first["next_cursor"]
    status, rest = auto.api(
        "GET", f"{auto.path}/activity", query={"limit": "50", "cursor": first["next_cursor"]}
    )
    entries = first["entries"] + rest["entries"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert [e["details"]["deal_name"] for e in entries if e["kind"] == "deal_trigger"] == [
        "Deal 2",
        "Deal 1",
        "Deal 0",
    ]
    assert auto.api("GET", f"{auto.path}/activity", query={"cursor": "bogus"})[0] == 400
    assert auto.api("GET", f"{auto.path}/activity", tenant_id="someone-else")[0] == 404
