"""Issue 6 end to end on the local stack over HTTP: the CRM sandbox sends real notification callbacks for
deal changes, the webhook queues them, the trigger function makes (and voids) inventory documents.

The customer is not mapped beforehand: the trigger imports the deal's account first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import boto3
import httpx
import pytest

from crmsync.domain.automation import invoice_reference, quote_reference
from tests.e2e.sandbox_api import auth, connect_body, seed, wait_for

pytestmark = pytest.mark.stack

ACCOUNT = "Acme Hardware LLC"
ALL_TRIGGERS = {
    "on_deal_created": "create_quote",
    "on_deal_won": "create_invoice",
    "on_deal_lost": "void_invoice",
}







@dataclass
class World:
    stack: object
    api: httpx.Client
    key: dict
    integration_id: str
    crm_seed: dict
    inventory_seed: dict

    @property
    def path(self) -> str:
        return f"/integrations/{self.integration_id}"

    # the CRM, as a user edits it (each write sends a real callback to our webhook)
    def crm(self, method: str, path: str, body: dict | None = None) -> dict:
        reply = httpx.request(
            method,
            f"{self.stack.endpoints['crm']}/crm/v8{path}",
            json=body,
            headers=auth(self.stack.endpoints["crm"], self.crm_seed),
        )
        assert reply.status_code < 300, reply.text
        return reply.json() if reply.content else {}

    def new_deal(self, name: str, stage: str = "Qualification") -> str:
        body = {
            "data": [
                {
                    "Deal_Name": name,
                    "Stage": stage,
                    "Closing_Date": "2026-12-31",
                    "Amount": 990.0,
                    "Description": "Annual service",
                    "Account_Name": {"id": self.crm_seed["ids"]["Accounts"][0]},
                }
            ]
        }
        return self.crm("POST", "/Deals", body)["data"][0]["details"]["id"]

    def set_stage(self, deal_id: str, stage: str) -> None:
        self.crm("PUT", f"/Deals/{deal_id}", {"data": [{"Stage": stage}]})

    # inventory, read directly
    def inventory(self, method: str, path: str, **params) -> dict:
        base = self.stack.endpoints["inventory"]
        reply = httpx.request(
            method,
            f"{base}/inventory/v1{path}",
            params={"organization_id": self.inventory_seed["organization_id"], **params},
            headers=auth(base, self.inventory_seed),
        )
        assert reply.status_code < 300, reply.text
        return reply.json()

    def documents(self, kind: str, reference: str) -> list[dict]:
        return [
            d
            for d in self.inventory("GET", f"/{kind}", reference_number=reference)[kind]
            if d["reference_number"] == reference
        ]

    def activity(self) -> list[dict]:
        reply = self.api.get(f"{self.path}/activity", params={"limit": 100}, headers=self.key)
        return [e for e in reply.json()["entries"] if e["kind"] == "deal_trigger"]

    def deal_entries(self, deal_id: str) -> list[tuple[str, str]]:
        return [
            (e["details"]["action"], e["result"])
            for e in reversed(self.activity())
            if e["details"]["deal_id"] == deal_id
        ]


@pytest.fixture(scope="module")
def world(stack) -> World:
    api = httpx.Client(base_url=stack.api_url, timeout=30)
    key = {"Authorization": f"Bearer {stack.api_key}"}
    inventory = seed(stack.endpoints["inventory"], {"organization": {"currency_code": "USD"}})
    crm = seed(
        stack.endpoints["crm"],
        {
            "org": {"edition": "enterprise", "iso_code": "USD"},
            "records": {"Accounts": [{"Account_Name": ACCOUNT}]},
        },
    )
    created = api.post("/integrations", json=connect_body(stack, crm, inventory), headers=key)
    assert created.status_code == 201, created.text
    world = World(stack, api, key, created.json()["integration_id"], crm, inventory)
    for module, prefs in {
        "customers": {"crm_source": "accounts", "duplicates": "skip"},
        "vendors": {"duplicates": "skip"},
        "items": {"duplicates": "skip"},
    }.items():
        assert api.put(f"{world.path}/modules/{module}", json=prefs, headers=key).status_code == 200
    assert api.put(f"{world.path}/automation", json=ALL_TRIGGERS, headers=key).status_code == 200
    assert api.post(f"{world.path}/transactions/enable", headers=key).status_code == 200
    grants = {"grants": [{"user_id": "u-seller", "permissions": ["view_invoices"]}]}
    assert api.put(f"{world.path}/crm-permissions", json=grants, headers=key).status_code == 200
    yield world
    api.close()


def invocations(stack, function: str) -> int:
    return sum(1 for i in stack.invocations if i["function"] == function)


# ------------------------------------------------------------------ A1: created, won
def test_deal_created_gives_a_quote_and_won_gives_one_invoice_for_the_imported_customer(world):
    deal_id = world.new_deal("Coffee service Berlin")
    [quote] = wait_for(lambda: world.documents("estimates", quote_reference(deal_id)), what="quote")
    world.set_stage(deal_id, "Closed Won")
    [invoice] = wait_for(lambda: world.documents("invoices", invoice_reference(deal_id, 1)), what="invoice")
    assert invoice["customer_name"] == quote["customer_name"] == ACCOUNT and invoice["total"] == 990.0
    full = world.inventory("GET", f"/invoices/{invoice['invoice_id']}")["invoice"]
    assert full["line_items"][0]["name"] == "Coffee service Berlin"
    assert world.deal_entries(deal_id) == [("create_quote", "created"), ("create_invoice", "created")]


def test_duplicate_and_repeated_deliveries_leave_exactly_one_invoice(world):
    deal_id = world.new_deal("Duplicate deliveries", stage="Closed Won")
    wait_for(lambda: world.documents("invoices", invoice_reference(deal_id, 1)), what="invoice")
    deliveries = httpx.get(f"{world.stack.endpoints['crm']}/_sandbox/notifications").json()["notifications"]
    payload = next(d["payload"] for d in deliveries if deal_id in d["payload"]["ids"])
    webhook = f"{world.stack.api_url}/webhooks/crm/{world.integration_id}"
    answers = [httpx.post(webhook, json=payload).json()["status"] for _ in range(5)]
    assert answers == ["duplicate"] * 5
    before = invocations(world.stack, "TriggerAutomationFunction")
    for n in range(3):  # the same change reported again as new deliveries: queued, and still one invoice
        assert (
            httpx.post(webhook, json={**payload, "server_time": payload["server_time"] + n + 1}).json()[
                "status"
            ]
            == "queued"
        )
    wait_for(lambda: invocations(world.stack, "TriggerAutomationFunction") >= before + 3, what="trigger runs")
    assert len(world.documents("invoices", invoice_reference(deal_id, 1))) == 1
    assert world.deal_entries(deal_id).count(("create_invoice", "created")) == 1


# ------------------------------------------------------------------ lost, A3
def test_lost_voids_the_invoice(world):
    deal_id = world.new_deal("Lost later", stage="Closed Won")
    wait_for(lambda: world.documents("invoices", invoice_reference(deal_id, 1)), what="invoice")
    world.set_stage(deal_id, "Closed Lost")
    wait_for(
        lambda: world.documents("invoices", invoice_reference(deal_id, 1))[0]["status"] == "void", what="void"
    )
    assert world.deal_entries(deal_id)[-1] == ("void_invoice", "voided")


def test_a_sent_invoice_is_left_alone_when_the_deal_is_lost(world):
    deal_id = world.new_deal("Sent before lost", stage="Closed Won")
    [invoice] = wait_for(lambda: world.documents("invoices", invoice_reference(deal_id, 1)), what="invoice")
    world.inventory("POST", f"/invoices/{invoice['invoice_id']}/status/sent")
    world.set_stage(deal_id, "Closed Lost")
    wait_for(lambda: ("void_invoice", "skipped") in world.deal_entries(deal_id), what="skip entry")
    assert world.documents("invoices", invoice_reference(deal_id, 1))[0]["status"] == "sent"


# ------------------------------------------------------------------ exactly once through a crash
def test_a_worker_crash_after_the_create_leaves_one_invoice(world, monkeypatch, tmp_path):
    monkeypatch.setenv("E2E_FAULT_DIR", str(tmp_path))  # the environments started from now on inherit it
    world.stack.invoker.preload("TriggerAutomationFunction", "tests.e2e.faults")
    try:
        deal_id = world.new_deal("Crash after create", stage="Closed Won")
        wait_for(
            lambda: ("create_invoice", "created") in world.deal_entries(deal_id), what="recovered invoice"
        )
    finally:
        world.stack.invoker.preload("TriggerAutomationFunction")
    [invoice] = world.documents("invoices", invoice_reference(deal_id, 1))
    assert (tmp_path / "crashed").read_text() == invoice["invoice_id"]


# ------------------------------------------------------------------ refusals
def test_a_callback_with_a_bad_token_is_refused(world):
    deliveries = httpx.get(f"{world.stack.endpoints['crm']}/_sandbox/notifications").json()["notifications"]
    payload = {**deliveries[0]["payload"], "token": "forged", "server_time": 1}
    reply = httpx.post(f"{world.stack.api_url}/webhooks/crm/{world.integration_id}", json=payload)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthorized"


def test_crm_side_permissions_are_enforced(world):
    deal_id = world.new_deal("Finance section", stage="Closed Won")
    wait_for(lambda: world.documents("invoices", invoice_reference(deal_id, 1)), what="invoice")
    url = f"{world.path}/crm-side/deals/{deal_id}/transactions"
    denied = world.api.get(url, headers=world.key | {"X-Crm-User-Id": "u-intern"})
    assert denied.status_code == 403 and denied.json()["error"]["details"]["permission"] == "view_invoices"
    allowed = world.api.get(url, headers=world.key | {"X-Crm-User-Id": "u-seller"})
    assert allowed.status_code == 200 and [t["type"] for t in allowed.json()["transactions"]] == ["invoices"]


def test_a_secondary_integration_refuses_automation_and_crm_side_transactions(world):
    other_inventory = seed(world.stack.endpoints["inventory"], {"organization": {"currency_code": "USD"}})
    created = world.api.post(
        "/integrations",
        json=connect_body(world.stack, world.crm_seed, other_inventory, "secondary"),
        headers=world.key,
    )
    assert created.status_code == 201, created.text
    path = f"/integrations/{created.json()['integration_id']}"
    assert world.api.put(f"{path}/automation", json=ALL_TRIGGERS, headers=world.key).status_code == 409
    assert world.api.post(f"{path}/transactions/enable", headers=world.key).status_code == 409
    refused = world.api.get(
        f"{path}/crm-side/deals/1/transactions", headers=world.key | {"X-Crm-User-Id": "u-seller"}
    )
    assert refused.status_code == 409 and "secondary" in refused.json()["error"]["message"]


def test_a_disabled_integration_ignores_deal_changes(world):
    assert (
        world.api.post(f"{world.path}/disable", json={"confirm": True}, headers=world.key).status_code == 200
    )
    before = invocations(world.stack, "WebhookIntakeFunction")
    deal_id = world.new_deal("Won while disabled", stage="Closed Won")
    wait_for(lambda: invocations(world.stack, "WebhookIntakeFunction") > before, what="callback")
    time.sleep(1.5)
    assert world.documents("invoices", invoice_reference(deal_id, 1)) == []
    reply = world.api.get(f"{world.path}/activity", params={"limit": 5}, headers=world.key)
    assert ("webhook", "dropped") in [(e["kind"], e["result"]) for e in reply.json()["entries"]]


def test_a_poison_message_reaches_the_dead_letter_queue(world):
    sqs = boto3.client(
        "sqs",
        endpoint_url=world.stack.endpoints["sqs"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    queues = world.stack.queue_urls
    sqs.send_message(
        QueueUrl=queues["AutomationQueue"], MessageBody='{"integration_id": "x", "deal_oops": 1}'
    )

    def in_dead_letters():
        reply = sqs.receive_message(QueueUrl=queues["AutomationDeadLetterQueue"], WaitTimeSeconds=1)
        return [m["Body"] for m in reply.get("Messages", [])]

    assert wait_for(in_dead_letters, what="dead letter") == ['{"integration_id": "x", "deal_oops": 1}']
