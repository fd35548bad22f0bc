"""Issue 13 point 9 on the concurrent local stack, continued (see `test_faults_concurrent_e2e.py`): while
two tenants sync at once,

- one tenant's CRM refresh token is revoked mid-run: its integration goes to `reauthorize` with the
  reason, its run waits (the other tenant's finishes), and a new grant from the consent page resumes it;
- the same CRM notification (a deal won) is delivered 5 times at once: one is queued, the others answer
  `duplicate` (or 503 while the first is being queued, then `duplicate`), and the deal gets one invoice.

Every test ends with each record once on each side, the runs done and the reason visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from crmsync.domain.automation import invoice_reference
from local.stack import LocalStack
from tests.e2e.fault_tenants import CRM_ACCOUNTS, INVENTORY_CUSTOMERS, Tenant, start_stack
from tests.e2e.sandbox_api import auth, wait_for
from tests.sandboxes.consent_fixtures import REDIRECT_URI, consent

pytestmark = pytest.mark.stack

DEAL_ACCOUNT = "Deal Customer GmbH"
SLOW_CREATES = {"kind": "slow", "delay_ms": 100, "path_prefix": "/inventory/v1/contacts"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from start_stack()


def slow_inventory(stack: LocalStack, rules: list[dict]) -> None:
    """Inventory contact calls take a little longer, so the run is surely still going when the test acts."""
    httpx.put(f"{stack.endpoints['inventory']}/_sandbox/faults", json={"faults": rules}).raise_for_status()


def with_reason(integration: dict) -> dict | None:
    """The integration once in `reauthorize` with its reason (two writes: the state, then the reason)."""
    return (
        integration if integration["state"] == "reauthorize" and integration["reauthorize_reason"] else None
    )


def test_a_refresh_token_revoked_mid_run_holds_the_run_until_reauthorized_and_loses_nothing(stack):
    """Issue 13 points 2 and 9: the status says why, the run waits (not failed), a new grant resumes it."""
    revoked, other = Tenant.seeded(stack, "Revoked grant"), Tenant.seeded(stack, "Still granted")
    crm = stack.endpoints["crm"]
    slow_inventory(stack, [SLOW_CREATES])
    try:
        revoked.start_sync()
        other.start_sync()
        wait_for(lambda: len(revoked.inventory_names()) > INVENTORY_CUSTOMERS, what="the run creating")
        httpx.post(
            f"{crm}/oauth/v2/token/revoke", params={"token": revoked.crm["refresh_token"]}
        ).raise_for_status()
        held = wait_for(lambda: with_reason(revoked.integration()), what="reauthorize, with its reason")
    finally:
        slow_inventory(stack, [])

    assert "The CRM refused the refresh token" in held["reauthorize_reason"]
    waiting = revoked.first_run()
    assert (
        waiting["status"] in ("queued", "running")
        and waiting["progress"]["waiting_for"] == "re-authorization"
    )
    other.run_done()  # the other tenant is not held up

    code = consent(crm, revoked.crm["client_id"])["code"]
    grant = {
        "client_id": revoked.crm["client_id"],
        "client_secret": revoked.crm["client_secret"],
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "base_url": crm,
    }
    reply = revoked.api.post(f"{revoked.path}/reauthorize", json={"crm": grant})
    assert reply.status_code == 200, reply.text
    assert reply.json()["state"] == "active"
    run = revoked.run_done()
    assert run["run_id"] == waiting["run_id"] and run["progress"]["waiting_for"] is None
    assert ("reauthorization_needed", "failed") in [(e["kind"], e["result"]) for e in revoked.activity()]
    for tenant in (revoked, other):
        tenant.assert_every_record_once()


def test_the_same_deal_won_notification_delivered_5_times_at_once_gives_one_invoice(stack):
    """A1, S2, issue 13 point 9: the deliveries race each other and the tenants' first syncs."""
    seller = Tenant.seeded(stack, "Deal seller", crm_records={"Accounts": [{"Account_Name": DEAL_ACCOUNT}]})
    other = Tenant.seeded(stack, "Busy neighbour")
    reply = seller.api.put(f"{seller.path}/automation", json={"on_deal_won": "create_invoice"})
    assert reply.status_code == 200, reply.text
    crm = stack.endpoints["crm"]
    slow_inventory(stack, [SLOW_CREATES])
    try:
        seller.start_sync()
        other.start_sync()
        deal = {
            "Deal_Name": "Won during the sync",
            "Stage": "Closed Won",
            "Closing_Date": "2026-12-31",
            "Amount": 990.0,
            "Account_Name": {"id": seller.crm["ids"]["Accounts"][0]},
        }
        created = httpx.post(f"{crm}/crm/v8/Deals", json={"data": [deal]}, headers=auth(crm, seller.crm))
        assert created.status_code == 201, created.text
        deal_id = created.json()["data"][0]["details"]["id"]

        def delivered() -> dict | None:
            deliveries = httpx.get(f"{crm}/_sandbox/notifications").json()["notifications"]
            ours = [
                d["payload"] for d in deliveries if d["notify_url"].endswith(f"/crm/{seller.integration_id}")
            ]
            return next((payload for payload in ours if deal_id in payload["ids"]), None)

        # The CRM's own delivery of the change is in; the same notification now arrives 5 times at once
        # (a delivery of its own: another server time, so the first of the 5 is new).
        first = wait_for(delivered, what="the CRM's notification")
        payload = {**first, "server_time": first["server_time"] + 1}
        webhook = f"{stack.api_url}/webhooks/crm/{seller.integration_id}"
        with ThreadPoolExecutor(5) as senders:
            answers = list(senders.map(lambda _: deliver(stack, webhook, payload), range(5)))
    finally:
        slow_inventory(stack, [])

    assert sorted(answers) == ["duplicate"] * 4 + ["queued"]
    reference = invoice_reference(deal_id, 1)
    wait_for(lambda: [i for i in seller.inventory_records("invoices") if i["reference_number"] == reference])
    for tenant in (seller, other):
        tenant.run_done()
    [invoice] = [i for i in seller.inventory_records("invoices") if i["reference_number"] == reference]
    created_entries = [
        e
        for e in seller.activity()
        if e["kind"] == "deal_trigger" and e["details"].get("deal_id") == deal_id and e["result"] == "created"
    ]
    assert [e["details"]["action"] for e in created_entries] == ["create_invoice"]
    [customer] = [
        c for c in seller.inventory_records("contacts") if c["contact_id"] == invoice["customer_id"]
    ]
    assert customer["contact_name"] == DEAL_ACCOUNT  # imported once, by the trigger or the sync
    seller.assert_every_record_once(at_least=1 + CRM_ACCOUNTS + INVENTORY_CUSTOMERS)
    other.assert_every_record_once()


def errors_of(stack: LocalStack, function: str) -> list[str]:
    return [i["error"] for i in stack.invoker.invocations_as_dicts(function) if not i["ok"]]


def deliver(stack: LocalStack, webhook: str, payload: dict) -> str:
    """One delivery as the CRM makes it: a 503 (another delivery of it is being queued) is retried."""

    def answer() -> str | None:
        reply = httpx.post(webhook, json=payload, timeout=30)
        if reply.status_code == 503:
            return None
        assert reply.status_code == 200, (reply.text, errors_of(stack, "WebhookIntakeFunction"))
        return reply.json()["status"]

    return wait_for(answer, timeout=30, what="the delivery answered")
