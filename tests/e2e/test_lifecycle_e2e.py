"""Issue 4 end to end on the local stack over HTTP: connect against the sandboxes, the CRM's real
callbacks reaching the webhook route, disable and background delete."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.sandbox_api import connect_body, seed, token, wait_for

pytestmark = pytest.mark.stack





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
    access = token(stack.endpoints["crm"], crm)
    edit = httpx.put(f"{stack.endpoints['crm']}/crm/v8/Accounts/{account_id}",
                     json={"data": [{"Phone": "+49 30 1234567"}]}, headers={"Authorization": f"Zoho-oauthtoken {access}"})
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
