"""What the sync runtime's integration tests share (no tests here): both sandboxes over HTTP, moto for
DynamoDB, SQS and Secrets Manager, and a pump that delivers the sync queue's messages to the worker's
use case one at a time, as the real queue would.

Use it from a test module:

    from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

    @pytest.fixture
    def env(aws, sandboxes):
        return SyncEnv.connect(aws, sandboxes)
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from crmsync.adapters.dynamodb import DynamoStore
from crmsync.adapters.pacer import PacerPool, TokenBucket
from crmsync.contracts.queues import SyncMessage, SyncQueueMessage
from crmsync.domain.models import Integration, Module, ModulePreferences, ModuleSettings, Role, Side, Trigger
from crmsync.domain.sync_state import SyncRun
from crmsync.ports.secrets import IntegrationCredentials
from crmsync.services.sync import runs
from crmsync.services.sync.engine import run_sync_step
from local.sandboxes.common import run_in_thread
from tests.conftest import AtomicRequests
from tests.integration.sandbox_fixtures import Sandbox

TENANT = "t-sync"


@dataclass
class Sandboxes:
    crm: Sandbox
    inventory: Sandbox


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[Sandboxes]:
    """Both sandboxes, once per test module; every test seeds its own data."""
    from local.sandboxes.crm import create_app as crm_app
    from local.sandboxes.inventory import create_app as inventory_app

    servers = [run_in_thread(crm_app()), run_in_thread(inventory_app())]
    crm, inventory = (Sandbox(server.base_url) for server in servers)
    try:
        yield Sandboxes(crm, inventory)
    finally:
        for sandbox, server in zip((crm, inventory), servers, strict=True):
            sandbox.close()
            server.stop()


class SyncEnv:
    """One integration between freshly seeded sandbox organizations, and ways to run its syncs."""

    def __init__(self, container, boxes: Sandboxes, integration: Integration, crm_seed: dict, inventory_seed: dict):
        self.container = container
        self.crm = boxes.crm
        self.inventory = boxes.inventory
        self.integration = integration
        self.crm_seed = crm_seed
        self.inventory_seed = inventory_seed
        self.delivered: list[SyncMessage] = []
        self._calls_at_connect = (Counter(boxes.crm.calls()), Counter(boxes.inventory.calls()))

    @classmethod
    def connect(
        cls,
        container,
        boxes: Sandboxes,
        *,
        crm: dict[str, Any] | None = None,
        inventory: dict[str, Any] | None = None,
        role: Role = Role.PRIMARY,
    ) -> SyncEnv:
        """Seeds both sandboxes (the demo presets unless told otherwise) and stores the integration."""
        crm_seed = boxes.crm.seed({"org": {"iso_code": "USD"}, **(crm if crm is not None else {"preset": "demo"})})
        inventory_seed = boxes.inventory.seed(inventory if inventory is not None else {"preset": "demo"})
        boxes.crm.set_limits(access_tokens_per_window=100_000)
        boxes.inventory.set_limits(tokens_per_refresh_token=100_000, per_minute=100_000)
        container.vendor_retry_policy = boxes.crm.retry_policy
        container.__dict__["inventory_pacers"] = PacerPool(lambda _org: TokenBucket(100_000, 60.0))
        container.__dict__["store"] = DynamoStore(
            container.settings.table_name, client=AtomicRequests(boto3.client("dynamodb"))
        )
        now = datetime.now(UTC)
        integration = Integration(
            integration_id=f"int-{uuid.uuid4().hex[:8]}",
            tenant_id=TENANT,
            role=role,
            crm_org_id=crm_seed["org_id"],
            inventory_org_id=inventory_seed["organization_id"],
            crm_data_center="com",
            inventory_data_center="com",
            crm_base_url=boxes.crm.base_url,
            inventory_base_url=boxes.inventory.base_url,
            two_way=role is Role.PRIMARY,
            created_at=now,
            updated_at=now,
        )
        container.store.create_integration(integration)
        container.credentials.put(
            integration.integration_id,
            IntegrationCredentials(
                crm=boxes.crm.credentials(crm_seed), inventory=boxes.inventory.credentials(inventory_seed)
            ),
        )
        return cls(container, boxes, integration, crm_seed, inventory_seed)

    # ------------------------------------------------------------------ shortcuts
    @property
    def store(self):
        return self.container.store

    @property
    def integration_id(self) -> str:
        return self.integration.integration_id

    crm_side = Side.CRM
    inventory_side = Side.INVENTORY

    @property
    def clients(self):
        return self.container.vendors.for_integration(self.integration)

    def configure(self, module: Module, **settings: Any) -> ModulePreferences:
        current = self.store.get_module(self.integration_id, module)
        return self.store.save_module_settings(
            ModulePreferences(
                integration_id=self.integration_id,
                module=module,
                version=current.version if current else 0,
                settings=ModuleSettings(**settings),
            )
        )

    # ------------------------------------------------------------------ running syncs
    def start(self, module: Module, trigger: Trigger = Trigger.MANUAL) -> SyncRun:
        integration = self.store.get_integration(self.integration_id)
        preferences = self.store.get_module(self.integration_id, module)
        run = runs.start_run(self.container.deps, integration, preferences, trigger)
        assert run is not None, "a run of the module is going already"
        return run

    def sync(self, module: Module, trigger: Trigger = Trigger.MANUAL) -> SyncRun:
        """Starts a run and delivers the queue until it is empty; returns the run as stored."""
        run = self.start(module, trigger)
        self.pump()
        return self.store.get_run(self.integration_id, run.run_id)

    def receive(self) -> list[tuple[SyncMessage, str]]:
        sqs = boto3.client("sqs")
        reply = sqs.receive_message(QueueUrl=self.container.settings.sync_queue_url, MaxNumberOfMessages=1)
        return [(SyncQueueMessage.validate_json(m["Body"]), m["ReceiptHandle"]) for m in reply.get("Messages", [])]

    def pump(self, *, steps: int | None = None) -> int:
        """Delivers queued messages to the worker one at a time, until the queue is empty or `steps`
        were delivered; returns how many were handled.

        A message whose step raises goes back to the queue at once (as SQS would after its
        visibility timeout) and the error is raised.
        """
        sqs = boto3.client("sqs")
        url = self.container.settings.sync_queue_url
        delivered = 0
        while steps is None or delivered < steps:
            batch = self.receive()[:1]
            if not batch:
                return delivered
            [(message, receipt)] = batch
            try:
                run_sync_step(self.container.deps, message)
            except Exception:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
                raise
            sqs.delete_message(QueueUrl=url, ReceiptHandle=receipt)
            self.delivered.append(message)
            delivered += 1
            assert delivered < 1000, "the queue never empties"
        return delivered

    # ------------------------------------------------------------------ reading both sides
    def calls(self) -> tuple[Counter, Counter]:
        """The API calls each sandbox served since this integration was connected."""
        crm, inventory = self._calls_at_connect
        return Counter(self.crm.calls()) - crm, Counter(self.inventory.calls()) - inventory

    def crm_records(self, crm_module: str, fields: list[str]) -> list[dict]:
        return [r.values for page in self.clients.crm.iter_record_pages(crm_module, fields) for r in page.records]

    def inventory_contacts(self, contact_type: str = "customer") -> list[dict]:
        from crmsync.ports.inventory import ContactQuery

        query = ContactQuery(extra={"contact_type": contact_type})
        return [r.values for page in self.clients.inventory.iter_contact_pages(query) for r in page.records]

    def inventory_items(self) -> list[dict]:
        return [r.values for page in self.clients.inventory.iter_item_pages() for r in page.records]

    def mappings(self, module: Module) -> list:
        found, cursor = [], None
        while True:
            page = self.store.list_mappings(self.integration_id, module, Side.CRM, limit=100, cursor=cursor)
            found += page.items
            if not (cursor := page.next_cursor):
                return found

    def failures(self, run: SyncRun) -> list:
        found, cursor = [], None
        while True:
            page = self.store.list_run_failures(run.run_id, limit=100, cursor=cursor)
            found += page.items
            if not (cursor := page.next_cursor):
                return found
