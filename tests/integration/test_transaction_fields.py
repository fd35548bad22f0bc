"""T1 gaps: custom fields of CRM-native quotes, sales orders and purchase orders travel as the admin
mapped them (refused at save time when a pair cannot work, never guessed from the name), and the
purchase orders of a CRM vendor are readable from the CRM side. Against both sandboxes over HTTP,
through the API handler."""

from __future__ import annotations

from crmsync.contracts.queues import CrmTransactionEventMessage
from crmsync.domain.automation import crm_transaction_reference
from crmsync.domain.models import Module, Role, Side
from crmsync.services.crm_native import handle_crm_transaction_event
from tests.integration.test_crm_side_api import SELLER, crm_side, t1  # noqa: F401 (fixture)

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]

BUYER = {"X-Crm-User-Id": "u-buyer", "X-Crm-Role-Id": "r-buyer"}
CHANNEL = {"crm_module": "Quotes", "crm": "Sales_Channel", "inventory": "cf_sales_channel"}


def save_map(auto, *pairs):
    return auto.api("PUT", f"{auto.path}/transactions/field-map", {"field_map": list(pairs)})


def created_in_the_crm(auto, crm_module: str, values: dict) -> str:
    """A record created in the CRM and notified to us: its inventory document's id."""
    [outcome] = auto.crm.insert_records(crm_module, [values])
    assert outcome.ok, outcome
    message = CrmTransactionEventMessage(
        integration_id=auto.integration_id, crm_module=crm_module, record_id=outcome.id, server_time=1
    )
    handle_crm_transaction_event(auto.container.deps, message)
    kind = {"Quotes": "estimates", "Purchase_Orders": "purchaseorders"}[crm_module]
    [document] = auto.documents(kind, crm_transaction_reference(crm_module, outcome.id))
    return document.id


def test_a_crm_quote_carries_its_mapped_fields_and_nothing_by_name(t1):  # noqa: F811
    status, body = save_map(t1, CHANNEL)
    assert status == 200 and body["transaction_field_map"] == [CHANNEL]
    assert t1.api("GET", t1.path)[1]["transaction_field_map"] == [CHANNEL]
    quote_id = created_in_the_crm(
        t1,
        "Quotes",
        {
            "Subject": "Espresso quote",
            "Account_Name": {"id": t1.account_id},
            "Quoted_Items": [{"Product_Name": {"id": t1.product_id}, "Quantity": 1}],
            "Sales_Channel": "Retail",
            "Crm_Deal_Id__c": "D-7",  # unmapped: the former `__c` name guess sent it to cf_crm_deal_id
            "Priority": 3,
        },
    )
    fields = t1.inventory.get_transaction("estimates", quote_id).values["custom_field_hash"]
    assert fields == {"cf_sales_channel": "Retail"}


def test_without_a_map_no_custom_field_travels(t1):  # noqa: F811
    quote_id = created_in_the_crm(
        t1,
        "Quotes",
        {
            "Subject": "Plain quote",
            "Account_Name": {"id": t1.account_id},
            "Quoted_Items": [{"Product_Name": {"id": t1.product_id}, "Quantity": 1}],
            "Sales_Channel": "Online",
            "Crm_Deal_Id__c": "D-8",
        },
    )
    assert t1.inventory.get_transaction("estimates", quote_id).values["custom_field_hash"] == {}


def test_a_field_map_that_cannot_work_is_refused_whole_naming_each_pair(t1):  # noqa: F811
    assert save_map(t1, CHANNEL)[0] == 200
    status, error = save_map(
        t1,
        CHANNEL,
        {"crm_module": "Quotes", "crm": "Priority", "inventory": "cf_sales_channel"},
        {"crm_module": "Quotes", "crm": "No_Such_Field", "inventory": "cf_crm_deal_id"},
        {"crm_module": "Sales_Orders", "crm": "Sales_Channel", "inventory": "cf_no_such_field"},
        {"crm_module": "Purchase_Orders", "crm": "Vendor_Name", "inventory": "cf_crm_deal_id"},
    )
    assert status == 422
    problems = {f["field"]: f["problem"] for f in error["error"]["details"]["fields"]}
    assert set(problems) == {
        "field_map.1",
        "field_map.1.inventory",
        "field_map.2.crm",
        "field_map.3.inventory",
        "field_map.4.crm",
    }
    assert "cannot map to an inventory picklist field" in problems["field_map.1"]
    assert "Already mapped by field_map.0" in problems["field_map.1.inventory"]
    assert "No field No_Such_Field in CRM Quotes" in problems["field_map.2.crm"]
    assert "cf_no_such_field" in problems["field_map.3.inventory"]
    assert "lookup field" in problems["field_map.4.crm"]
    assert t1.api("GET", t1.path)[1]["transaction_field_map"] == [CHANNEL]  # nothing half-saved
    status, error = save_map(t1, {"crm_module": "Invoices", "crm": "Subject", "inventory": "cf_crm_deal_id"})
    assert status == 422 and "crm_module" in str(error["error"]["details"])


def test_a_secondary_integration_cannot_map_transaction_fields(auto):
    current = auto.container.store.get_integration(auto.integration_id)
    auto.container.store.save_integration(
        current.model_copy(update={"role": Role.SECONDARY, "two_way": False})
    )
    assert save_map(auto, CHANNEL)[0] == 409


def test_purchase_orders_are_listed_per_crm_vendor_for_users_who_may_view_them(t1):  # noqa: F811
    assert save_map(t1, {**CHANNEL, "crm_module": "Purchase_Orders"})[0] == 200
    order_id = created_in_the_crm(
        t1,
        "Purchase_Orders",
        {
            "Subject": "Restock",
            "Vendor_Name": {"id": t1.vendor_id},
            "Purchased_Items": [{"Product_Name": {"id": t1.product_id}, "Quantity": 10}],
            "Sales_Channel": "Partner",
        },
    )
    other = t1.inventory.create_contact({"contact_name": "Other Supplier", "contact_type": "vendor"})
    t1.inventory.create_transaction(
        "purchaseorders", {"vendor_id": other.id, "line_items": [{"item_id": t1.item}]}
    )

    status, body = crm_side(t1, "GET", f"/vendors/{t1.vendor_id}/transactions", user=BUYER)
    assert status == 200
    [order] = body["transactions"]  # not the other vendor's
    assert (order["transaction_id"], order["vendor_name"]) == (order_id, "Global Parts Co.")
    assert {f["api_name"]: f["value"] for f in order["custom_fields"]} == {"cf_sales_channel": "Partner"}
    vendor = t1.container.store.get_mapping(t1.integration_id, Module.VENDORS, Side.CRM, t1.vendor_id)
    assert t1.inventory.get_transaction("purchaseorders", order_id).values["vendor_id"] == vendor.inventory_id

    status, error = crm_side(t1, "GET", f"/vendors/{t1.vendor_id}/transactions", user=SELLER)
    assert status == 403 and error["error"]["details"]["permission"] == "view_purchase_orders"
    assert crm_side(t1, "GET", "/vendors/123/transactions", user=BUYER)[0] == 404


def test_the_vendor_listing_is_refused_while_transaction_sync_is_off(auto):
    assert crm_side(auto, "GET", f"/vendors/{auto.vendor_id}/transactions", user=BUYER)[0] == 409
