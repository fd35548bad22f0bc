"""The store contract suite's backends: moto (`mock_aws`) and the real DynamoDB Local engine.

Every test that takes `store` runs once per backend, on a fresh table created
from template.yaml. DynamoDB Local starts once per session, in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crmsync.adapters.dynamodb import DynamoStore
from crmsync.domain.journal import ActivityEntry, Notification
from crmsync.domain.models import (
    Integration,
    MappingStatus,
    Module,
    Role,
    Side,
    Tenant,
    Trigger,
    time_sortable_id,
)
from crmsync.domain.sync_state import Failure, Mapping, SyncRun
from local.dynamodb_local import DynamoDBLocal, create_tables, local_client
from local.template import Template
from tests.conftest import AtomicRequests

MOTO_CREDENTIALS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
# Reads and writes the store may use; Scan is not among them.
ALLOWED_OPERATIONS = {
    "GetItem",
    "Query",
    "BatchGetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
}


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Backend:
    store: DynamoStore
    client: Any
    table_name: str
    operations: list[str] = field(default_factory=list)

    def raw_item(self, pk: str, sk: str) -> dict | None:
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        return self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")


@pytest.fixture(scope="session")
def template() -> Template:
    return Template()


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    with DynamoDBLocal() as ddb:
        yield ddb


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def table_name() -> str:
    return f"crmsync-contract-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def moto_client() -> Iterator[Any]:
    """One moto account per test module (starting moto per test costs more than the test)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MOTO_CREDENTIALS.items():
            patch.setenv(key, value)
        with mock_aws():
            yield AtomicRequests(boto3.client("dynamodb"))


@pytest.fixture(params=["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def backend_client(request, template, table_name) -> Iterator[Any]:
    """A DynamoDB client of the backend, with a fresh table of the template's `Table` shape."""
    if request.param == "moto":
        client = request.getfixturevalue("moto_client")
    else:
        client = local_client(request.getfixturevalue("dynamodb_local").endpoint_url)
    create_tables(None, template, names={"Table": table_name}, only={"Table"}, client=client)
    yield client
    client.delete_table(TableName=table_name)


@pytest.fixture
def backend(backend_client, table_name, clock) -> Iterator[Backend]:
    backend = Backend(DynamoStore(table_name, client=backend_client, clock=clock), backend_client, table_name)

    def record(model, **_):
        backend.operations.append(model.name)

    backend_client.meta.events.register("before-call.dynamodb", record)
    yield backend
    backend_client.meta.events.unregister("before-call.dynamodb", record)
    assert set(backend.operations) <= ALLOWED_OPERATIONS, "the store used an operation outside its key design"


@pytest.fixture
def store(backend) -> DynamoStore:
    return backend.store


class Make:
    """Valid domain records with unique ids, stamped by the test clock."""

    def __init__(self, clock: FakeClock):
        self.clock = clock

    @staticmethod
    def id(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def tenant(self, **fields: Any) -> Tenant:
        return Tenant(**{"tenant_id": self.id("t"), "name": "Acme", "created_at": self.clock(), **fields})

    def integration(self, tenant_id: str = "t-1", **fields: Any) -> Integration:
        role = fields.get("role", Role.PRIMARY)
        defaults = {
            "integration_id": self.id("int"),
            "tenant_id": tenant_id,
            "role": role,
            "crm_org_id": self.id("crm"),
            "inventory_org_id": self.id("inv"),
            "crm_data_center": "com",
            "inventory_data_center": "com",
            "two_way": role is Role.PRIMARY,
            "created_at": self.clock(),
            "updated_at": self.clock(),
        }
        return Integration(**{**defaults, **fields})

    def mapping(self, integration_id: str, module: Module = Module.CUSTOMERS, **fields: Any) -> Mapping:
        defaults = {
            "integration_id": integration_id,
            "module": module,
            "crm_id": self.id("c"),
            "inventory_id": self.id("i"),
        }
        return Mapping(**{**defaults, **fields})

    def claim(self, integration_id: str, side: Side = Side.CRM, record_id: str | None = None) -> Mapping:
        ids = {"crm_id": None, "inventory_id": None, f"{side.value}_id": record_id or self.id(side.value)}
        return Mapping(
            integration_id=integration_id,
            module=Module.CUSTOMERS,
            status=MappingStatus.PENDING,
            claim_side=side,
            **ids,
        )

    def run(self, integration_id: str, module: Module = Module.CUSTOMERS, **fields: Any) -> SyncRun:
        at = self.clock()
        defaults = {
            "integration_id": integration_id,
            "run_id": time_sortable_id(at),
            "module": module,
            "trigger": Trigger.SCHEDULE,
            "preferences_version": 1,
            "queued_at": at,
        }
        return SyncRun(**{**defaults, **fields})

    def failure(self, run: SyncRun, record_id: str, side: Side = Side.CRM, **fields: Any) -> Failure:
        defaults = {
            "integration_id": run.integration_id,
            "run_id": run.run_id,
            "module": run.module,
            "side": side,
            "record_id": record_id,
            "reason": "mandatory field missing",
            "first_seen": self.clock(),
            "last_seen": self.clock(),
        }
        return Failure(**{**defaults, **fields})

    def activity(self, integration_id: str, **fields: Any) -> ActivityEntry:
        defaults = {
            "integration_id": integration_id,
            "entry_id": self.id("a"),
            "at": self.clock(),
            "kind": "deal_won",
            "result": "invoice_created",
            "details": {"deal_id": "D1", "amount": 12.5},
        }
        return ActivityEntry(**{**defaults, **fields})

    def notification(self, integration_id: str, **fields: Any) -> Notification:
        defaults = {
            "integration_id": integration_id,
            "notification_id": self.id("n"),
            "at": self.clock(),
            "kind": "integration_deleted",
            "message": "The integration was deleted.",
        }
        return Notification(**{**defaults, **fields})


@pytest.fixture
def make(clock) -> Make:
    return Make(clock)
