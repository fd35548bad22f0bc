"""Issue 4 end to end on the local stack over HTTP: connect against the sandboxes, the CRM's real
callbacks reaching the webhook route, disable and background delete."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.stack


def seed(url: str, body: dict) -> dict:
    reply = httpx.post(f"{url}/_sandbox/seed", json=body, timeout=60)
    reply.raise_for_status()
    return reply.json()


def connect_body(stack, crm: dict, inventory: dict) -> dict:
    def side(seeded: dict, url: str) -> dict:
        return {key: seeded[key] for key in ("client_id", "client_secret", "refresh_token")} | {"base_url": url}

    return {
        "crm": {"org_id": crm["org_id"], **side(crm, stack.endpoints["crm"])},
        "inventory": {"organization_id": inventory["organization_id"], **side(inventory, stack.endpoints["inventory"])},
    }


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def invocations(stack, function: str) -> list[dict]:
    return [i for i in stack.invocations if i["function"] == function]


def test_connect_refuse_callback_disable_and_delete_over_http(stack, api):
    key = {"Authorization": f"Bearer {stack.api_key}"}
    inventory = seed(stack.endpoints["inventory"], {"preset": "demo"})
    crm = seed(stack.endpoints["crm"], {"preset": "demo", "org": {"edition": "standard"}})

    refused = api.post("/integrations", json=connect_body(stack, crm, inventory), headers=key)
    assert refused.status_code == 422 and refused.json()["error"]["details"]["rule"] == "crm_edition"

    crm = seed(stack.endpoints["crm"], {"preset": "demo", "org": {"edition": "enterprise"}})
    created = api.post("/integrations", json=connect_body(stack, crm, inventory), headers=key)
    assert created.status_code == 201, created.text
    integration_id = created.json()["integration_id"]
    assert [i["integration_id"] for i in api.get("/integrations", headers=key).json()["integrations"]] == [
        integration_id
    ]

    # An edit in the CRM sends a real notification to our webhook route, which accepts it.
    before = len(invocations(stack, "WebhookIntakeFunction"))
    account_id = crm["ids"]["Accounts"][0]
    token = httpx.post(f"{stack.endpoints['crm']}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": crm["client_id"], "client_secret": crm["client_secret"],
        "refresh_token": crm["refresh_token"]}).json()["access_token"]
    edit = httpx.put(f"{stack.endpoints['crm']}/crm/v8/Accounts/{account_id}",
                     json={"data": [{"Phone": "+49 30 1234567"}]}, headers={"Authorization": f"Zoho-oauthtoken {token}"})
    assert edit.status_code == 200, edit.text
    delivered = wait_for(lambda: invocations(stack, "WebhookIntakeFunction")[before:])
    assert delivered[0]["ok"]

    saved = api.put(f"/integrations/{integration_id}/modules/customers", headers=key,
                    json={"crm_source": "accounts", "duplicates": "overwrite"})
    assert saved.status_code == 200 and saved.json()["version"] == 1
    refused = api.put(f"/integrations/{integration_id}/modules/customers", headers=key,
                      json={"crm_source": "accounts", "include_unassociated_contacts": True})
    assert refused.status_code == 422
    assert api.post(f"/integrations/{integration_id}/pause", headers=key).json()["state"] == "paused"
    assert api.post(f"/integrations/{integration_id}/resume", headers=key).json()["state"] == "active"

    assert api.post(f"/integrations/{integration_id}/disable", headers=key).json()["state"] == "disabled"
    accepted = api.delete(f"/integrations/{integration_id}", params={"keep": "all"}, headers=key)
    assert accepted.status_code == 202
    wait_for(lambda: api.get(f"/integrations/{integration_id}", headers=key).json()["state"] == "deleted")
    notes = api.get(f"/integrations/{integration_id}/notifications", headers=key).json()["notifications"]
    assert [n["kind"] for n in notes] == ["integration_deleted"]
