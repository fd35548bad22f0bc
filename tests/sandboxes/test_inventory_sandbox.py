"""The inventory sandbox over real HTTP: wire format, rules, limits, tokens and faults."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from local.sandboxes.common import ServerThread, run_in_thread
from local.sandboxes.inventory import InventorySandboxSettings, create_app
from tests.sandboxes.inventory_fixtures import FakeClock, InventoryApi, connect

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
DIGITS = re.compile(r"^\d{10,}$")


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[ServerThread]:
    thread = run_in_thread(create_app(InventorySandboxSettings(clock=clock)))
    yield thread
    thread.stop()


@pytest.fixture
def control(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        assert client.post("/_sandbox/reset").status_code == 200
        yield client


@pytest.fixture
def api(control: httpx.Client) -> Iterator[InventoryApi]:
    """An empty organization."""
    client = connect(control, {})
    yield client
    client.http.close()


@pytest.fixture
def demo(control: httpx.Client) -> Iterator[InventoryApi]:
    client = connect(control, {"preset": "demo"})
    yield client
    client.http.close()


def _customer(api: InventoryApi, name: str = "Acme Hardware LLC", **extra: object) -> dict:
    reply = api.post("/contacts", json={"contact_name": name, "contact_type": "customer"} | extra)
    assert reply.status_code == 201, reply.text
    return reply.json()["contact"]


def _item(api: InventoryApi, name: str, sku: str, rate: float = 10.0) -> dict:
    reply = api.post("/items", json={"name": name, "sku": sku, "rate": rate})
    assert reply.status_code == 201, reply.text
    return reply.json()["item"]


def _invoice(api: InventoryApi, customer_id: str, **extra: object) -> dict:
    item = _item(api, "Steel Shelving Unit", f"SS-{customer_id[-4:]}", 150.0)
    body = {"customer_id": customer_id, "line_items": [{"item_id": item["item_id"], "quantity": 2}]} | extra
    reply = api.post("/invoices", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()["invoice"]


# --- organization and envelopes ---------------------------------------------------------------


def test_call_is_refused_with_code_2_when_organization_id_is_missing(api: InventoryApi) -> None:
    reply = api.http.get("/inventory/v1/contacts")
    assert reply.status_code == 400
    assert reply.json()["code"] == 2
    assert "organization_id" in reply.json()["message"]


def test_call_is_refused_with_code_6041_when_organization_is_unknown(api: InventoryApi) -> None:
    reply = api.get("/contacts", params={"organization_id": "123456"})
    assert reply.status_code == 400
    assert reply.json()["code"] == 6041


def test_organizations_list_needs_no_organization_id_when_token_is_valid(api: InventoryApi) -> None:
    reply = api.http.get("/inventory/v1/organizations")
    assert reply.status_code == 200
    body = reply.json()
    assert body["code"] == 0
    assert [o["organization_id"] for o in body["organizations"]] == [api.organization_id]
    assert body["organizations"][0]["currency_code"] == "USD"


def test_list_pages_with_page_context_when_records_exceed_per_page(api: InventoryApi) -> None:
    for n in range(5):
        _item(api, f"Box {n}", f"BOX-{n}")
    first = api.get("/items", params={"per_page": 2, "sort_column": "name"}).json()
    last = api.get("/items", params={"per_page": 2, "page": 3, "sort_column": "name"}).json()
    assert first["code"] == 0 and first["message"] == "success"
    assert [i["name"] for i in first["items"]] == ["Box 0", "Box 1"]
    assert first["page_context"] == {
        "page": 1,
        "per_page": 2,
        "has_more_page": True,
        "report_name": "Items",
        "applied_filter": "Status.All",
        "sort_column": "name",
        "sort_order": "A",
    }
    assert [i["name"] for i in last["items"]] == ["Box 4"]
    assert last["page_context"]["has_more_page"] is False


def test_list_is_refused_when_per_page_exceeds_200(api: InventoryApi) -> None:
    reply = api.get("/contacts", params={"per_page": 201})
    assert reply.status_code == 400
    assert reply.json()["code"] == 2


def test_unknown_route_answers_code_5(api: InventoryApi) -> None:
    reply = api.get("/nonsense")
    assert reply.status_code == 404
    assert reply.json() == {"code": 5, "message": "Invalid URL Passed"}


def test_record_missing_answers_404_code_1002(api: InventoryApi) -> None:
    reply = api.get("/contacts/4815000000000000")
    assert reply.status_code == 404
    assert reply.json() == {"code": 1002, "message": "Contact does not exist."}


# --- contacts ---------------------------------------------------------------------------------


def test_contact_create_keeps_persons_addresses_and_custom_fields(api: InventoryApi) -> None:
    fields = api.get("/settings/customfields", params={"entity": "contacts"}).json()["customfields"]
    region = next(f for f in fields if f["api_name"] == "cf_region")
    reply = api.post(
        "/contacts",
        json={
            "contact_name": "Café Münster GmbH",
            "contact_type": "customer",
            "customer_sub_type": "business",
            "billing_address": {"address": "Prinzipalmarkt 12", "city": "Münster", "country": "Germany"},
            "contact_persons": [
                {"first_name": "Lena", "last_name": "Vogt", "email": "lena@example.de"},
                {
                    "first_name": "Jonas",
                    "last_name": "Kraus",
                    "email": "jonas@example.de",
                    "is_primary_contact": True,
                },
            ],
            "custom_fields": [
                {"customfield_id": region["customfield_id"], "value": "North"},
                {"api_name": "cf_vip", "value": True},
            ],
        },
    )
    assert reply.status_code == 201
    assert reply.json()["code"] == 0
    contact = reply.json()["contact"]
    assert DIGITS.match(contact["contact_id"])
    assert TIMESTAMP.match(contact["created_time"]) and TIMESTAMP.match(contact["last_modified_time"])
    assert contact["email"] == "jonas@example.de"
    assert [p["is_primary_contact"] for p in contact["contact_persons"]] == [False, True]
    assert contact["billing_address"]["city"] == "Münster"
    assert contact["custom_field_hash"] == {"cf_region": "North", "cf_vip": True}
    assert contact["has_transaction"] is False and contact["is_linked_with_zohocrm"] is False
    again = api.get(f"/contacts/{contact['contact_id']}").json()["contact"]
    assert again["contact_persons"] == contact["contact_persons"]


def test_contact_is_refused_when_a_custom_field_is_unknown(api: InventoryApi) -> None:
    body = {"contact_name": "X", "custom_fields": [{"api_name": "cf_nope", "value": "1"}]}
    reply = api.post("/contacts", json=body)
    assert reply.status_code == 400
    assert reply.json()["code"] == 2


def test_contact_person_is_refused_when_the_contact_has_50(api: InventoryApi) -> None:
    persons = [{"first_name": f"P{n}", "email": f"p{n}@example.com"} for n in range(50)]
    contact = _customer(api, contact_persons=persons)
    reply = api.post(
        "/contacts/contactpersons", json={"contact_id": contact["contact_id"], "first_name": "One more"}
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == 1054
    assert len(api.get(f"/contacts/{contact['contact_id']}/contactpersons").json()["contact_persons"]) == 50


def test_contact_person_routes_add_and_promote_a_primary_person(api: InventoryApi) -> None:
    contact = _customer(api, contact_persons=[{"first_name": "Ann", "email": "ann@example.com"}])
    added = api.post(
        "/contacts/contactpersons",
        json={"contact_id": contact["contact_id"], "first_name": "Bob", "email": "bob@example.com"},
    )
    assert added.status_code == 201
    person_id = added.json()["contact_person"]["contact_person_id"]
    assert api.post(f"/contacts/contactpersons/{person_id}/primary").json()["code"] == 0
    assert api.get(f"/contacts/{contact['contact_id']}").json()["contact"]["email"] == "bob@example.com"


def test_contact_list_filters_by_type_name_and_status(api: InventoryApi) -> None:
    _customer(api, "Acme Hardware LLC")
    _customer(api, "Acme Outlet")
    api.post("/contacts", json={"contact_name": "Acme Parts", "contact_type": "vendor"})
    inactive = _customer(api, "Zenith Retail")
    api.post(f"/contacts/{inactive['contact_id']}/inactive")

    def names(**params: object) -> list[str]:
        return [c["contact_name"] for c in api.get("/contacts", params=params).json()["contacts"]]

    assert names(contact_type="vendor") == ["Acme Parts"]
    assert names(contact_name_startswith="acme", contact_type="customer") == [
        "Acme Hardware LLC",
        "Acme Outlet",
    ]
    assert names(contact_name="acme outlet") == ["Acme Outlet"]
    assert names(filter_by="Status.Inactive") == ["Zenith Retail"]
    assert names(search_text="outlet") == ["Acme Outlet"]


# --- items ------------------------------------------------------------------------------------


def test_item_is_refused_with_code_1001_when_sku_exists_up_to_case_and_whitespace(api: InventoryApi) -> None:
    first = _item(api, "Wireless Barcode Scanner", "WBS-300")
    duplicate = api.post("/items", json={"name": "Scanner", "sku": " wbs-300 "})
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == 1001
    assert "WBS-300" in duplicate.json()["message"].upper()
    other = _item(api, "Scanner Cable", "WBS-301")
    clash = api.put(f"/items/{other['item_id']}", json={"sku": "WBS-300"})
    assert clash.json()["code"] == 1001
    assert api.put(f"/items/{first['item_id']}", json={"sku": "WBS-300", "rate": 99}).status_code == 200


def test_item_list_keeps_items_modified_at_or_after_last_modified_time(
    api: InventoryApi, clock: FakeClock
) -> None:
    old = _item(api, "Old", "OLD-1")
    clock.advance(60)
    new = _item(api, "New", "NEW-1")
    clock.advance(60)
    api.put(f"/items/{old['item_id']}", json={"rate": 12.5})
    since = new["last_modified_time"]
    listed = api.get(
        "/items", params={"last_modified_time": since, "sort_column": "last_modified_time", "sort_order": "D"}
    ).json()["items"]
    assert [i["name"] for i in listed] == ["Old", "New"]
    later = api.get("/items", params={"last_modified_time": "2099-01-01T00:00:00+0000"}).json()["items"]
    assert later == []


def test_item_keeps_zcrm_product_id_and_filters_by_it(api: InventoryApi) -> None:
    api.post("/items", json={"name": "Linked", "sku": "L-1", "zcrm_product_id": "5725767000000123001"})
    _item(api, "Unlinked", "U-1")
    listed = api.get("/items", params={"zcrm_product_id": "5725767000000123001"}).json()["items"]
    assert [(i["name"], i["is_linked_with_zohocrm"]) for i in listed] == [("Linked", True)]


# --- transactions -----------------------------------------------------------------------------


def test_invoice_goes_draft_sent_void_and_back_to_draft(api: InventoryApi) -> None:
    customer = _customer(api)
    invoice = _invoice(api, customer["contact_id"], reference_number="DEAL-42")
    invoice_id = invoice["invoice_id"]
    assert (invoice["status"], invoice["invoice_number"], invoice["total"]) == ("draft", "INV-00001", 300.0)
    sent = api.post(f"/invoices/{invoice_id}/status/sent").json()
    assert sent == {"code": 0, "message": "Invoice status has been changed to Sent."}
    assert api.post(f"/invoices/{invoice_id}/status/void").json()["code"] == 0
    assert api.get(f"/invoices/{invoice_id}").json()["invoice"]["status"] == "void"
    again = api.post(f"/invoices/{invoice_id}/status/void")
    assert (again.status_code, again.json()["code"]) == (400, 1055)
    assert api.post(f"/invoices/{invoice_id}/status/draft").json()["code"] == 0
    found = api.get("/invoices", params={"reference_number": "DEAL-42"}).json()["invoices"]
    assert [(i["invoice_id"], i["status"]) for i in found] == [(invoice_id, "draft")]


def test_void_is_refused_when_the_invoice_is_paid(api: InventoryApi) -> None:
    customer = _customer(api)
    invoice = _invoice(api, customer["contact_id"])
    api.post(f"/invoices/{invoice['invoice_id']}/status/sent")
    paid = api.post(
        "/customerpayments",
        json={
            "customer_id": customer["contact_id"],
            "amount": 300.0,
            "payment_mode": "banktransfer",
            "invoices": [{"invoice_id": invoice["invoice_id"], "amount_applied": 300.0}],
        },
    )
    assert paid.status_code == 201
    assert api.get(f"/invoices/{invoice['invoice_id']}").json()["invoice"]["status"] == "paid"
    refused = api.post(f"/invoices/{invoice['invoice_id']}/status/void")
    assert refused.status_code == 400
    assert refused.json()["code"] == 1051
    assert api.get(f"/invoices/{invoice['invoice_id']}").json()["invoice"]["status"] == "paid"


def test_invoice_is_refused_when_the_contact_is_a_vendor(api: InventoryApi) -> None:
    vendor = api.post("/contacts", json={"contact_name": "Global Parts", "contact_type": "vendor"}).json()[
        "contact"
    ]
    reply = api.post(
        "/invoices", json={"customer_id": vendor["contact_id"], "line_items": [{"name": "X", "rate": 1}]}
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == 1052


def test_customer_has_transaction_when_a_sales_order_names_it(api: InventoryApi) -> None:
    customer = _customer(api)
    order = api.post(
        "/salesorders",
        json={
            "customer_id": int(customer["contact_id"]),  # ids sent as JSON numbers keep their digits
            "line_items": [{"name": "Consulting", "rate": 85, "quantity": 3}],
            "custom_fields": [{"api_name": "cf_crm_deal_id", "value": "5725767000000456001"}],
        },
    )
    assert order.status_code == 201
    assert order.json()["salesorder"]["custom_field_hash"] == {"cf_crm_deal_id": "5725767000000456001"}
    assert api.get(f"/contacts/{customer['contact_id']}").json()["contact"]["has_transaction"] is True
    deleted = api.request("DELETE", f"/contacts/{customer['contact_id']}")
    assert deleted.json()["code"] == 1053


@pytest.mark.parametrize(
    ("kind", "party", "steps"),
    [
        ("estimates", "customer", ["sent", "accepted"]),
        ("salesorders", "customer", ["confirmed", "void"]),
        ("purchaseorders", "vendor", ["issued", "cancelled"]),
    ],
)
def test_status_actions_move_each_kind_when_allowed(
    api: InventoryApi, kind: str, party: str, steps: list[str]
) -> None:
    contact = api.post("/contacts", json={"contact_name": "Party", "contact_type": party}).json()["contact"]
    body = {f"{party}_id": contact["contact_id"], "line_items": [{"name": "Line", "rate": 5, "quantity": 2}]}
    created = api.post(f"/{kind}", json=body).json()[kind.removesuffix("s")]
    record_id = created[f"{kind.removesuffix('s')}_id"]
    for step in steps:
        reply = api.post(f"/{kind}/{record_id}/status/{step}")
        assert reply.json()["code"] == 0, reply.text
    assert api.get(f"/{kind}/{record_id}").json()[kind.removesuffix("s")]["status"] == steps[-1]
    backwards = api.post(f"/{kind}/{record_id}/status/{steps[0]}")
    assert (backwards.status_code, backwards.json()["code"]) == (400, 1051)


def test_form_body_with_jsonstring_is_read_like_json(api: InventoryApi) -> None:
    reply = api.post(
        "/contacts", data={"JSONString": '{"contact_name": "Form Body Ltd", "contact_type": "vendor"}'}
    )
    assert reply.status_code == 201
    assert reply.json()["contact"]["contact_type"] == "vendor"


# --- limits, tokens, faults -------------------------------------------------------------------


def test_calls_get_429_code_44_when_the_per_minute_limit_is_spent(
    api: InventoryApi, control: httpx.Client, clock: FakeClock
) -> None:
    assert control.put("/_sandbox/limits", json={"per_minute": 5, "window_seconds": 1}).status_code == 200
    replies = [api.get("/contacts") for _ in range(6)]
    assert [r.status_code for r in replies] == [200] * 5 + [429]
    assert replies[-1].json()["code"] == 44
    assert int(replies[-1].headers["Retry-After"]) >= 1
    assert replies[4].headers["x-rate-limit-remaining"] == str(
        10_000 - 5
    )  # the day's quota, not the minute's
    clock.advance(1)
    assert api.get("/contacts").status_code == 200


def test_calls_get_429_code_45_when_the_daily_cap_is_spent(api: InventoryApi, control: httpx.Client) -> None:
    control.put("/_sandbox/limits", json={"per_day": 3})
    replies = [api.get("/items") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[-1].json()["code"] == 45
    assert "3" in replies[-1].json()["message"]


def test_call_is_refused_with_401_code_57_when_the_token_expired(api: InventoryApi, clock: FakeClock) -> None:
    assert api.get("/contacts").status_code == 200
    clock.advance(3600)
    reply = api.get("/contacts")
    assert reply.status_code == 401
    assert reply.json() == {"code": 57, "message": "You are not authorized to perform this operation"}


def test_call_is_refused_with_401_code_14_when_the_header_is_not_zoho_oauthtoken(
    api: InventoryApi, control: httpx.Client
) -> None:
    reply = control.get(
        "/inventory/v1/contacts",
        params={"organization_id": api.organization_id},
        headers={"Authorization": "Bearer abc"},
    )
    assert reply.status_code == 401
    assert reply.json()["code"] == 14


def test_token_reply_names_the_sandbox_as_api_domain(api: InventoryApi, control: httpx.Client) -> None:
    reply = control.post(
        "/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": api.seed["client_id"],
            "client_secret": api.seed["client_secret"],
            "refresh_token": api.seed["refresh_token"],
        },
    ).json()
    assert reply["api_domain"] == str(control.base_url).rstrip("/")
    assert (reply["token_type"], reply["expires_in"]) == ("Bearer", 3600)
    bad = control.post("/oauth/v2/token", data={"grant_type": "refresh_token", "refresh_token": "nope"})
    assert bad.json() == {"error": "invalid_code"}


def test_faults_answer_the_next_calls_then_stop(api: InventoryApi, control: httpx.Client) -> None:
    control.put(
        "/_sandbox/faults",
        json={"faults": [{"kind": "server_error", "next": 1}, {"kind": "rate_limit", "next": 1}]},
    )
    assert api.get("/items").status_code == 500
    limited = api.get("/items")
    assert (limited.status_code, limited.json()["code"]) == (429, 44)
    assert api.get("/items").status_code == 200
    calls = control.get("/_sandbox/calls").json()["calls"]
    assert calls["GET /inventory/v1/items"] == 3


def test_a_fault_for_seconds_answers_every_call_until_its_time_is_up(
    api: InventoryApi, control: httpx.Client, clock: FakeClock
) -> None:
    """Issue 13 point 9: a 429 storm or a 5xx outage of a while, on the sandbox's clock."""
    storm = {"faults": [{"kind": "rate_limit", "for_seconds": 5, "path_prefix": "/inventory/v1/items"}]}
    assert control.put("/_sandbox/faults", json=storm).json()["faults"][0]["seconds_left"] == 5
    assert [api.get("/items").status_code for _ in range(3)] == [429] * 3
    assert api.get("/contacts").status_code == 200  # another path
    clock.advance(4.9)
    assert api.get("/items").json()["code"] == 44
    clock.advance(0.2)
    assert api.get("/items").status_code == 200
    assert control.get("/_sandbox/faults").json()["faults"][0]["seconds_left"] == 0
    assert (
        control.put(
            "/_sandbox/faults", json={"faults": [{"kind": "server_error", "for_seconds": 0}]}
        ).status_code
        == 400
    )


def test_dropped_connection_fault_breaks_the_call(api: InventoryApi, control: httpx.Client) -> None:
    control.put(
        "/_sandbox/faults", json={"faults": [{"kind": "drop", "next": 1, "path_prefix": "/inventory"}]}
    )
    with pytest.raises(httpx.TransportError):
        api.get("/items")
    assert api.get("/items").status_code == 200


# --- seeding ----------------------------------------------------------------------------------


def test_demo_preset_has_colliding_names_and_transactions(demo: InventoryApi) -> None:
    contacts = demo.get("/contacts").json()["contacts"]
    customers = [c for c in contacts if c["contact_type"] == "customer"]
    vendors = [c for c in contacts if c["contact_type"] == "vendor"]
    assert (len(customers), len(vendors)) == (15, 6)
    names = {c["contact_name"] for c in contacts}
    assert {"Café Münster GmbH", "SOCIÉTÉ GÉNÉRALE", "  Nordlicht Handel AG "} <= names
    acme = next(c for c in contacts if c["contact_name"] == "Acme Hardware LLC")
    assert acme["has_transaction"] is True
    items = demo.get("/items").json()["items"]
    assert len(items) == 20
    assert {"ESP-DUO-01", "olf-prm-22", " WBS-300 "} <= {i["sku"] for i in items}
    statuses = {i["reference_number"]: i["status"] for i in demo.get("/invoices").json()["invoices"]}
    assert statuses == {"DEMO-INV-1": "sent", "DEMO-INV-2": "paid", "DEMO-INV-3": "draft"}
    assert demo.get("/users/me").json()["user"]["user_role"] == "admin"


def test_demo_preset_ids_are_the_same_after_reset(control: httpx.Client) -> None:
    first = control.post("/_sandbox/seed", json={"preset": "demo"}).json()
    control.post("/_sandbox/reset")
    second = control.post("/_sandbox/seed", json={"preset": "demo"}).json()
    assert first["ids"] == second["ids"]
    assert first["refresh_token"] == second["refresh_token"]


def test_seed_generates_bulk_items_when_asked(control: httpx.Client) -> None:
    bulk = connect(control, {"generate": {"items": 450}})
    pages = [bulk.get("/items", params={"page": n}).json() for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [200, 200, 50]
    assert [p["page_context"]["has_more_page"] for p in pages] == [True, True, False]
