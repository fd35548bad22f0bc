"""Issue 5 end to end on the local stack over HTTP: connect, "save and sync now", the run going through
the real queue and worker, a CRM edit reaching inventory through an instant sync, the schedule
firing, the history, the CRM contacts list, search and import.

Small seeds: the stack paces the inventory at its real 100 calls a minute.
"""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.sandbox_api import auth, connect_body, seed, wait_for

pytestmark = pytest.mark.stack

ACCOUNTS = [{"Account_Name": "Acme Tools", "Billing_City": "Berlin"}, {"Account_Name": "Globex"}]
CONTACTS = [{"First_Name": "Ada", "Last_Name": "Lovelace"}]





def test_sync_runs_over_http_from_save_to_schedule(stack, api):
    key = {"Authorization": f"Bearer {stack.api_key}"}
    crm_url, inventory_url = stack.endpoints["crm"], stack.endpoints["inventory"]
    crm = seed(crm_url, {"org": {"iso_code": "USD"}, "records": {"Accounts": ACCOUNTS, "Contacts": CONTACTS}})
    inventory = seed(inventory_url, {"organization": {"currency_code": "USD"},
                                     "contacts": [{"contact_name": "Initech", "contact_type": "customer"}]})

    created = api.post("/integrations", headers=key, json=connect_body(stack, crm, inventory))
    assert created.status_code == 201, created.text
    base = f"/integrations/{created.json()['integration_id']}"

    def runs() -> list[dict]:
        return api.get(f"{base}/runs", headers=key).json()["runs"]

    def settled() -> list[dict]:
        """The history once no run is queued or running (our CRM writes come back as notifications,
        which start webhook runs that find nothing to do)."""
        def check():
            found = runs()
            status = api.get(f"{base}/modules/customers", headers=key).json()["status"]
            return found if status == "done" and all(r["status"] in ("done", "failed") for r in found) else None
        return wait_for(check)

    def by_trigger(trigger: str) -> list[dict]:
        return [r for r in settled() if r["trigger"] == trigger]

    saved = api.put(f"{base}/modules/customers", params={"sync": "now"}, headers=key,
                    json={"crm_source": "accounts", "duplicates": "skip"})
    assert saved.status_code == 200 and saved.json()["status"] == "queued"
    [first] = by_trigger("manual")
    assert (first["status"], first["counts"]["added"], first["failure_count"]) == ("done", 3, 0)
    assert (first["progress"]["phase"], first["progress"]["written"]) == ("done", 3)
    assert all(r["counts"]["added"] == r["counts"]["updated"] == 0 for r in by_trigger("webhook"))  # echoes

    listed = api.get(f"{base}/contacts", params={"source": "crm", "type": "customer"}, headers=key).json()
    acme = next(c for c in listed["contacts"] if c["name"] == "Acme Tools")
    crm_auth = auth(crm_url, crm)
    edit = httpx.put(f"{crm_url}/crm/v8/Accounts/{acme['crm_id']}", headers=crm_auth,
                     json={"data": [{"Billing_City": "Potsdam"}]})
    assert edit.status_code == 200, edit.text
    # The edit's own CRM notification may start a webhook run first; then POST /sync answers with that
    # run (one run per module at a time). Either way exactly one run applies the edit, with one update.
    accepted = api.post(f"{base}/sync", headers=key, json={"modules": ["customers"]})
    assert accepted.status_code == 202
    settled()
    applying = [r for r in runs() if r["counts"]["updated"]]
    assert [(r["trigger"] in ("manual", "webhook"), r["counts"]["updated"]) for r in applying] == [(True, 1)]
    inventory_auth = auth(inventory_url, inventory)
    contact = httpx.get(f"{inventory_url}/inventory/v1/contacts/{acme['inventory_contact_id']}", headers=inventory_auth,
                        params={"organization_id": inventory["organization_id"]}).json()["contact"]
    assert contact["billing_address"]["city"] == "Potsdam"

    def scheduled() -> list[dict]:
        """The schedule's run; while a late notification's run still holds the module, the schedule
        finds it busy and queues nothing, so it fires again (functions run concurrently, as in AWS)."""
        stack.fire("ScheduledSyncFunction")
        return by_trigger("schedule")

    [third] = wait_for(scheduled)
    assert third["status"] == "done"
    assert api.get(f"{base}/runs/{third['run_id']}", headers=key).json() == third

    [ada] = api.get(f"{base}/crm/search", params={"module": "contacts", "last_name": "Lovelace"},
                    headers=key).json()["records"]
    imported = api.post(f"{base}/crm/import", headers=key, json={"module": "contacts", "crm_id": ada["crm_id"]})
    again = api.post(f"{base}/crm/import", headers=key, json={"module": "contacts", "crm_id": ada["crm_id"]})
    assert imported.status_code == again.status_code == 200
    assert imported.json()["contact"]["contact_id"] == again.json()["contact"]["contact_id"]
    assert imported.json()["contact"]["customer_sub_type"] == "individual"
