"""Issue 5 on the local stack over HTTP, per customer source (M1): the first sync through the real queue
and worker, the history's content, pause (S6) refusing a manual sync, and re-sync of one contact (S4).

Small seeds: the stack paces the inventory like production (90 calls a minute).
"""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.e2e.sandbox_api import auth, connect_body, seed, wait_for

pytestmark = pytest.mark.stack

ACCOUNTS = [{"Account_Name": "Acme Tools", "Billing_City": "Berlin"}, {"Account_Name": "Globex"}]
CONTACTS = [
    {"First_Name": "Ada", "Last_Name": "Lovelace", "Account_Name": "Acme Tools"},
    {"First_Name": "Alan", "Last_Name": "Turing", "Account_Name": "Globex"},
    {"First_Name": "Grace", "Last_Name": "Hopper"},  # no account: an orphan
]
ORG_IDS = itertools.count(30_000_000_001)

EXPECTED = {  # customer source -> the inventory customers linked to CRM records, by CRM module
    ("accounts", False): {"Accounts": 2},
    ("contacts", False): {"Contacts": 3},
    ("accounts_and_contacts", True): {"Accounts": 2, "Contacts": 1},
}
# With accounts and contacts, Ada and Alan become contact persons of their accounts' customers in the
# same first run (the match phase creates an account before the persons of its page are planned).
PERSONS = {("accounts_and_contacts", True): {"Ada", "Alan"}}


@pytest.mark.parametrize("source, orphans", list(EXPECTED))
def test_first_sync_per_customer_source_then_pause_and_resync(stack, api, source, orphans):
    key = {"Authorization": f"Bearer {stack.api_key}"}
    crm_url, inventory_url = stack.endpoints["crm"], stack.endpoints["inventory"]
    crm = seed(crm_url, {"org": {"id": str(next(ORG_IDS)), "iso_code": "USD"},
                         "records": {"Accounts": ACCOUNTS, "Contacts": CONTACTS}})
    inventory = seed(inventory_url, {"organization": {"currency_code": "USD"}})

    created = api.post("/integrations", headers=key, json=connect_body(stack, crm, inventory))
    assert created.status_code == 201, created.text
    base = f"/integrations/{created.json()['integration_id']}"

    prefs = {"crm_source": source, "include_unassociated_contacts": orphans, "direction": "fetch_from_crm"}
    assert api.put(f"{base}/modules/customers", params={"sync": "now"}, json=prefs, headers=key).status_code == 200
    wait_for(lambda: api.get(f"{base}/modules/customers", headers=key).json()["status"] == "done")

    [run] = [r for r in api.get(f"{base}/runs", headers=key).json()["runs"] if r["trigger"] == "manual"]
    linked = api.get(f"{base}/contacts", params={"source": "crm", "type": "customer"}, headers=key).json()["contacts"]
    by_module = {m: sum(1 for c in linked if c["crm_module"] == m) for m in {c["crm_module"] for c in linked}}
    assert by_module == EXPECTED[(source, orphans)]
    persons = PERSONS.get((source, orphans), set())
    assert run["status"] == "done" and run["counts"]["added"] == len(linked) + len(persons)
    assert run["failure_count"] == 0
    made = {
        person["first_name"]
        for customer in linked
        if customer["crm_module"] == "Accounts"
        for person in httpx.get(
            f"{inventory_url}/inventory/v1/contacts/{customer['inventory_contact_id']}",
            params={"organization_id": inventory["organization_id"]}, headers=auth(inventory_url, inventory),
        ).json()["contact"]["contact_persons"]
    }
    assert made >= persons
    assert run["started_at"] and run["ended_at"] and run["counts"]["failed"] == 0

    assert api.post(f"{base}/pause", headers=key).status_code == 200
    refused = api.post(f"{base}/sync", json={"modules": ["customers"]}, headers=key)
    assert refused.status_code == 409
    assert api.post(f"{base}/resume", headers=key).status_code == 200

    contact = linked[0]
    record = f"/crm/v8/{contact['crm_module']}/{contact['crm_id']}"
    changed = {"Accounts": {"Website": "https://resynced.example"}, "Contacts": {"Email": "resync@example.com"}}
    edit = httpx.put(f"{crm_url}{record}", json={"data": [changed[contact["crm_module"]]]},
                     headers=auth(crm_url, crm))
    assert edit.status_code == 200, edit.text
    resynced = api.post(f"{base}/contacts/{contact['inventory_contact_id']}/resync", headers=key)
    assert resynced.status_code == 200, resynced.text
    full = httpx.get(f"{inventory_url}/inventory/v1/contacts/{contact['inventory_contact_id']}",
                     params={"organization_id": inventory["organization_id"]},
                     headers=auth(inventory_url, inventory)).json()["contact"]
    if contact["crm_module"] == "Accounts":
        assert full["website"] == "https://resynced.example"
    else:
        assert [p["email"] for p in full["contact_persons"]] == ["resync@example.com"]
    history = api.get(f"{base}/runs", headers=key).json()["runs"]
    assert "resync" in {r["trigger"] for r in history}
