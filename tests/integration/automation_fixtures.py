"""A connected primary integration for the automation and CRM-side tests: moto for AWS, both sandboxes
over HTTP, customers/vendors/items configured, one account, one contact and one product mapped.

Load with `pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]`.
"""

from __future__ import annotations

from typing import Any

import boto3
import httpx
import pytest

from crmsync.adapters.dynamodb import DynamoStore
from crmsync.contracts.queues import DealEventMessage
from crmsync.domain.automation import invoice_reference
from crmsync.domain.models import CrmSource, Module, ModulePreferences, ModuleSettings, Side
from crmsync.domain.sync.model import RecordKind
from crmsync.domain.sync_state import Mapping
from crmsync.ports.inventory import InventoryRecord, TransactionQuery
from crmsync.runtime.container import get_container, reset_container
from tests.conftest import ApiClient, AtomicRequests, FakeContext, load_handler

ACCOUNT = "Acme Hardware LLC"
CONTACT = "Jürgen Weiß"
# CRM custom fields of the CRM-native documents (T1), named as Zoho names them (no `__c` needed).
_CHANNEL = {
    "api_name": "Sales_Channel",
    "data_type": "picklist",
    "pick_list_values": ["Online", "Retail", "Partner"],
}
TRANSACTION_CUSTOM_FIELDS = {
    "Quotes": [
        _CHANNEL,
        {"api_name": "Crm_Deal_Id__c", "data_type": "text"},
        {"api_name": "Priority", "data_type": "integer"},
    ],
    "Sales_Orders": [_CHANNEL],
    "Purchase_Orders": [_CHANNEL],
}


def sqs_event(*bodies: str, receive_count: int = 1) -> dict:
    return {
        "Records": [
            {
                "messageId": f"msg-{n}",
                "receiptHandle": f"h-{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(receive_count)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies, start=1)
        ]
    }


class AutomationEnv:
    account_name, contact_name = ACCOUNT, CONTACT
    sqs_event = staticmethod(sqs_event)

    def __init__(self, container, api: ApiClient, crm_sandbox, inventory_sandbox):
        self.container, self.api = container, api
        self.crm_sandbox, self.inventory_sandbox = crm_sandbox, inventory_sandbox
        self.trigger = load_handler("trigger_automation")

    # ------------------------------------------------------------ setup
    def connect(self, crm_seed: dict, inventory_seed: dict) -> str:
        def side(seed: dict, url: str) -> dict:
            return {k: seed[k] for k in ("client_id", "client_secret", "refresh_token")} | {"base_url": url}

        body = {
            "crm": {"org_id": crm_seed["org_id"], **side(crm_seed, self.crm_sandbox.base_url)},
            "inventory": {
                "organization_id": inventory_seed["organization_id"],
                **side(inventory_seed, self.inventory_sandbox.base_url),
            },
        }
        status, created = self.api("POST", "/integrations", body)
        assert status == 201, created
        self.integration_id = created["integration_id"]
        self.crm_seed, self.inventory_seed = crm_seed, inventory_seed
        return self.integration_id

    @property
    def path(self) -> str:
        return f"/integrations/{self.integration_id}"

    @property
    def integration(self):
        return self.container.store.get_integration(self.integration_id)

    @property
    def crm(self):
        return self.container.vendors.for_integration(self.integration).crm

    @property
    def inventory(self):
        return self.container.vendors.for_integration(self.integration).inventory

    def configure(self, crm_source: CrmSource = CrmSource.ACCOUNTS) -> None:
        for module in Module:
            settings = ModuleSettings(crm_source=crm_source if module is Module.CUSTOMERS else None)
            current = self.container.store.get_module(self.integration_id, module)
            self.container.store.save_module_settings(
                ModulePreferences(
                    integration_id=self.integration_id,
                    module=module,
                    settings=settings,
                    version=current.version if current else 0,
                )
            )

    def link(self, module: Module, crm_id: str, inventory_id: str, kind: RecordKind) -> None:
        self.container.store.link_mapping(
            Mapping(
                integration_id=self.integration_id,
                module=module,
                crm_id=crm_id,
                inventory_id=inventory_id,
                origin=Side.CRM,
                record_kind=kind,
            )
        )

    def automation(self, **prefs: str) -> None:
        status, body = self.api("PUT", f"{self.path}/automation", prefs)
        assert status == 200, body

    # ------------------------------------------------------------ the CRM side
    def new_deal(
        self,
        stage: str = "Qualification",
        *,
        account: bool = True,
        contact: bool = False,
        name: str = "Espresso machines for the Berlin office",
        amount: float = 1234.5,
        description: str = "Two machines, installed",
    ) -> str:
        values: dict[str, Any] = {
            "Deal_Name": name,
            "Stage": stage,
            "Closing_Date": "2026-12-31",
            "Amount": amount,
            "Description": description,
        }
        if account:
            values["Account_Name"] = {"id": self.account_id}
        if contact:
            values["Contact_Name"] = {"id": self.contact_id}
        [outcome] = self.crm.insert_records("Deals", [values])
        assert outcome.ok, outcome
        return outcome.id

    def set_stage(self, deal_id: str, stage: str) -> None:
        [outcome] = self.crm.update_records("Deals", [{"id": deal_id, "Stage": stage}])
        assert outcome.ok, outcome

    def deliver(self, deal_id: str, operation: str = "update", times: int = 1) -> list[dict]:
        """Run the trigger function on the deal's event, as the queue would deliver it."""
        body = DealEventMessage(
            integration_id=self.integration_id, deal_id=deal_id, operation=operation, server_time=1
        ).model_dump_json()
        failures = []
        for _ in range(times):
            failures += self.trigger(sqs_event(body), FakeContext())["batchItemFailures"]
        return failures

    def drain_automation_queue(self) -> int:
        sqs, url, delivered = boto3.client("sqs"), self.container.settings.automation_queue_url, 0
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            reply = self.trigger(sqs_event(*(m["Body"] for m in messages)), FakeContext())
            assert reply == {"batchItemFailures": []}
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            delivered += len(messages)
        return delivered

    # ------------------------------------------------------------ the inventory side
    def documents(self, kind: str, reference: str) -> list[InventoryRecord]:
        pages = self.inventory.iter_transaction_pages(kind, TransactionQuery(reference_number=reference))
        return [r for page in pages for r in page.records if r.values.get("reference_number") == reference]

    def invoices(self, deal_id: str, generation: int = 1) -> list[InventoryRecord]:
        return self.documents("invoices", invoice_reference(deal_id, generation))

    def inventory_call(self, method: str, path: str, body: Any = None) -> dict:
        """A raw inventory API call (what the port does not offer, e.g. recording a payment)."""
        seed, base = self.inventory_seed, self.inventory_sandbox.base_url
        token = httpx.post(
            f"{base}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": seed["client_id"],
                "client_secret": seed["client_secret"],
                "refresh_token": seed["refresh_token"],
            },
        ).json()["access_token"]
        reply = httpx.request(
            method,
            f"{base}/inventory/v1{path}",
            json=body,
            params={"organization_id": seed["organization_id"]},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
        )
        assert reply.status_code < 300, reply.text
        return reply.json()

    def activity(self, kind: str = "deal_trigger") -> list:
        return [
            e
            for e in self.container.store.list_activity(self.integration_id, limit=100).items
            if e.kind == kind
        ]


@pytest.fixture
def auto(aws, monkeypatch, crm_sandbox, inventory_sandbox) -> AutomationEnv:
    monkeypatch.setenv("ALLOW_CUSTOM_ENDPOINTS", "true")
    reset_container()
    container = get_container()
    container.vendor_retry_policy = crm_sandbox.retry_policy
    container.__dict__["store"] = DynamoStore(
        container.settings.table_name, client=AtomicRequests(boto3.client("dynamodb"))
    )
    tenant = container.tenants.create_tenant("Acme")
    env = AutomationEnv(
        container,
        ApiClient(load_handler("integration_lifecycle"), tenant.tenant_id),
        crm_sandbox,
        inventory_sandbox,
    )
    crm_sandbox.set_limits(notify_max_attempts=1, notify_timeout_s=0.5)
    crm_seed = crm_sandbox.seed(
        {
            "org": {"iso_code": "USD"},
            "custom_fields": TRANSACTION_CUSTOM_FIELDS,
            "records": {
                "Accounts": [{"Account_Name": ACCOUNT, "Billing_City": "Springfield"}],
                "Contacts": [{"First_Name": "Jürgen", "Last_Name": "Weiß"}],
                "Products": [{"Product_Name": "Widget", "Product_Code": "W-1", "Unit_Price": 10}],
                "Vendors": [{"Vendor_Name": "Global Parts Co."}],
            },
        }
    )
    inventory_seed = inventory_sandbox.seed(
        {
            "organization": {"currency_code": "USD"},
            "contacts": [
                {"contact_name": ACCOUNT, "billing_address": {"city": "Springfield"}},
                {"contact_name": CONTACT, "customer_sub_type": "individual"},
                {"contact_name": "Global Parts Co.", "contact_type": "vendor"},
            ],
            "items": [{"name": "Widget", "sku": "W-1", "rate": 10}],
        }
    )
    env.connect(crm_seed, inventory_seed)
    env.configure()
    ids, inv = crm_seed["ids"], inventory_seed["ids"]
    env.account_id, env.contact_id, env.product_id = (
        ids["Accounts"][0],
        ids["Contacts"][0],
        ids["Products"][0],
    )
    env.vendor_id = ids["Vendors"][0]
    env.customer, env.person = inv["contacts"][ACCOUNT], inv["contacts"][CONTACT]
    env.item = inv["items"]["W-1"]
    env.link(Module.CUSTOMERS, env.account_id, env.customer, RecordKind.ACCOUNT)
    env.link(Module.CUSTOMERS, env.contact_id, env.person, RecordKind.CONTACT)
    env.link(Module.ITEMS, env.product_id, env.item, RecordKind.PRODUCT)
    env.link(Module.VENDORS, env.vendor_id, inv["contacts"]["Global Parts Co."], RecordKind.VENDOR)
    return env
