"""Nothing reaches a vendor URL unchecked (hardening issue, point 2): every client method that puts an
id in the path refuses an id not shaped like the vendor's, without a request, as the vendor would
answer an unknown id; a good id goes out as one path segment."""

from __future__ import annotations

import httpx
import pytest

from crmsync.adapters import ids
from crmsync.adapters.crm import ZohoCrmClient
from crmsync.adapters.crm.errors import classify as crm_classify
from crmsync.adapters.http import RetryPolicy, VendorHttp
from crmsync.adapters.inventory import ZohoInventoryClient
from crmsync.adapters.inventory.errors import classify as inventory_classify
from crmsync.ports.errors import NotFound

HOSTILE = ["1?x=1", "1/../2", "#x", "../organizations", "1%2F2", "", " 1", "1\n", "１２３", "12345678901234567890123456"]
POLICY = RetryPolicy(max_attempts=1)


class Recorder:
    def __init__(self):
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if "inventory" in request.url.path:
            return httpx.Response(200, json={"code": 0, "message": "ok", "contact": {"contact_id": "1"},
                                             "item": {"item_id": "1"}, "invoice": {"invoice_id": "1"},
                                             "organization": {"organization_id": "1"}, "contact_persons": []})
        return httpx.Response(200, json={"data": [{"id": "1"}]})


def crm(recorder: Recorder) -> ZohoCrmClient:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    return ZohoCrmClient(VendorHttp("crm", http, crm_classify, lambda: "https://crm.test/crm/v8", policy=POLICY))


def inventory(recorder: Recorder, organization_id: str = "10234695") -> ZohoInventoryClient:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    vendor = VendorHttp("inventory", http, inventory_classify, lambda: "https://inv.test/inventory/v1", policy=POLICY)
    return ZohoInventoryClient(vendor, organization_id)


CRM_CALLS = {
    "get_record": lambda c, v: c.get_record("Accounts", v),
    "get_deal": lambda c, v: c.get_deal(v),
    "delete_records": lambda c, v: c.delete_records("Accounts", ["1", v]),
    "disable_watch": lambda c, v: c.disable_watch([v]),
}
INVENTORY_CALLS = {
    "get_contact": lambda c, v: c.get_contact(v),
    "update_contact": lambda c, v: c.update_contact(v, {"contact_name": "x"}),
    "delete_contact": lambda c, v: c.delete_contact(v),
    "list_contact_persons": lambda c, v: c.list_contact_persons(v),
    "update_contact_person": lambda c, v: c.update_contact_person("1", v, {"first_name": "x"}),
    "delete_contact_person": lambda c, v: c.delete_contact_person(v),
    "get_item": lambda c, v: c.get_item(v),
    "update_item": lambda c, v: c.update_item(v, {"name": "x"}),
    "delete_item": lambda c, v: c.delete_item(v),
    "set_item_active": lambda c, v: c.set_item_active(v, True),
    "get_transaction": lambda c, v: c.get_transaction("invoices", v),
    "update_transaction": lambda c, v: c.update_transaction("invoices", v, {"notes": "x"}),
    "set_transaction_status": lambda c, v: c.set_transaction_status("invoices", v, "sent"),
    "get_invoice_standing": lambda c, v: c.get_invoice_standing(v),
    "void_invoice": lambda c, v: c.void_invoice(v),
}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("call", CRM_CALLS.values(), ids=CRM_CALLS.keys())
def test_crm_refuses_a_hostile_id_without_a_request(call, value):
    recorder = Recorder()
    with pytest.raises(NotFound):
        call(crm(recorder), value)
    assert recorder.requests == []


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("call", INVENTORY_CALLS.values(), ids=INVENTORY_CALLS.keys())
def test_inventory_refuses_a_hostile_id_without_a_request(call, value):
    recorder = Recorder()
    with pytest.raises(NotFound):
        call(inventory(recorder), value)
    assert recorder.requests == []


@pytest.mark.parametrize("value", HOSTILE)
def test_inventory_refuses_a_hostile_organization_id_without_a_request(value):
    recorder = Recorder()
    with pytest.raises(NotFound):
        inventory(recorder, value).get_organization()
    assert recorder.requests == []


def test_good_ids_go_out_as_one_path_segment_each():
    recorder = Recorder()
    crm(recorder).get_record("Accounts", "5725767000003000010")
    inventory(recorder).get_item("4815000000044208")
    inventory(recorder).get_organization()
    assert [r.url.path for r in recorder.requests] == [
        "/crm/v8/Accounts/5725767000003000010",
        "/inventory/v1/items/4815000000044208",
        "/inventory/v1/organizations/10234695",
    ]


@pytest.mark.parametrize("name", ["Accounts/../org", "Accounts?x", "", "1Accounts", "Deals#"])
def test_a_module_name_that_is_not_an_api_name_is_a_bug(name):
    with pytest.raises(ValueError):
        ids.api_name(name)
