"""Tenants for the fault tests of issue 13 point 9 on the concurrent local stack: each tenant with its own
CRM org and inventory organization (the sandboxes host several side by side), its own API key and one
integration syncing customers both ways; and the checks every fault test ends with.

The stack runs the sync worker with a short Timeout (`SYNC_WORKER_TIMEOUT_S`): a killed worker's step
lease lasts until its invocation's deadline, so it lapses in seconds. The inventory's minute is scaled
down (`MINUTE_S`) on both sides, the product's pacer and the sandbox's window, so that a few hundred
calls take seconds, not minutes.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from local.stack import LocalStack
from tests.e2e.conftest import RETRY_DELAY_SECONDS
from tests.e2e.sandbox_api import wait_for

SYNC_WORKER_TIMEOUT_S = 20
MINUTE_S = 3  # the inventory's "minute": 90 of our calls (the pacer), 100 of the sandbox's, per 3 s
CRM_ACCOUNTS = 40
INVENTORY_CUSTOMERS = 15
RUN_TIMEOUT_S = 90
GRANT_KEYS = ("client_id", "client_secret", "refresh_token")


def start_stack() -> Iterator[LocalStack]:
    """The module's stack (one per test file: pytest-xdist runs files side by side)."""
    if shutil.which("java") is None:
        pytest.skip("DynamoDB Local needs Java")
    options = {
        "free_ports": True,
        "in_memory": True,
        "retry_delay": RETRY_DELAY_SECONDS,
        "env_vars": {"Parameters": {"INVENTORY_MINUTE_SECONDS": str(MINUTE_S)}},
        "function_timeouts": {"SyncWorkerFunction": SYNC_WORKER_TIMEOUT_S},
    }
    with LocalStack(**options) as stack:
        limits = httpx.put(
            f"{stack.endpoints['inventory']}/_sandbox/limits", json={"window_seconds": MINUTE_S}
        )
        limits.raise_for_status()
        yield stack


def business_customers(tenant: str) -> list[dict]:
    """Inventory customers that a customers module fed by CRM accounts syncs (individuals go to contacts)."""
    return [
        {
            "contact_name": f"{tenant} Customer {n:02d}",
            "contact_type": "customer",
            "customer_sub_type": "business",
        }
        for n in range(1, INVENTORY_CUSTOMERS + 1)
    ]


@dataclass
class Tenant:
    stack: LocalStack
    name: str
    api: httpx.Client
    crm: dict[str, Any]
    inventory: dict[str, Any]
    integration_id: str = ""

    @property
    def path(self) -> str:
        return f"/integrations/{self.integration_id}"

    # ------------------------------------------------------------------ set-up
    @classmethod
    def seeded(cls, stack: LocalStack, name: str, crm_records: dict | None = None) -> Tenant:
        """A tenant with its own orgs: generated CRM accounts and inventory business customers (names
        differ between the sides, so every record is new on the other side), connected."""
        crm = httpx.post(
            f"{stack.endpoints['crm']}/_sandbox/orgs",
            json={
                "org": {"edition": "enterprise", "iso_code": "USD", "company_name": f"{name} CRM"},
                "records": crm_records or {},
                "generate": {"Accounts": CRM_ACCOUNTS},
            },
            timeout=60,
        )
        inventory = httpx.post(
            f"{stack.endpoints['inventory']}/_sandbox/seed",
            json={"organization": {"currency_code": "USD"}, "contacts": business_customers(name)},
            timeout=60,
        )
        key = stack.new_tenant_key(name)
        api = httpx.Client(base_url=stack.api_url, timeout=60, headers={"Authorization": f"Bearer {key}"})
        tenant = cls(stack, name, api, crm.raise_for_status().json(), inventory.raise_for_status().json())
        created = api.post("/integrations", json=tenant.connect_body())
        assert created.status_code == 201, created.text
        tenant.integration_id = created.json()["integration_id"]
        return tenant

    def connect_body(self) -> dict:
        def grant(seeded: dict, url: str) -> dict:
            return {k: seeded[k] for k in GRANT_KEYS} | {"base_url": url}

        endpoints = self.stack.endpoints
        return {
            "crm": {"org_id": self.crm["org_id"], **grant(self.crm, endpoints["crm"])},
            "inventory": {
                "organization_id": self.inventory["organization_id"],
                **grant(self.inventory, endpoints["inventory"]),
            },
        }

    def start_sync(self) -> None:
        """Save the customers module with "sync now": the first run, CRM accounts both ways."""
        saved = self.api.put(
            f"{self.path}/modules/customers",
            params={"sync": "now"},
            json={"crm_source": "accounts", "duplicates": "skip"},
        )
        assert saved.status_code == 200 and saved.json()["status"] == "queued", saved.text

    # ------------------------------------------------------------------ what the API shows
    def integration(self) -> dict:
        return self.api.get(self.path).raise_for_status().json()

    def runs(self) -> list[dict]:
        reply = self.api.get(f"{self.path}/runs", params={"limit": 50})
        return [r for r in reply.raise_for_status().json()["runs"] if r["module"] == "customers"]

    def first_run(self) -> dict | None:
        manual = [r for r in self.runs() if r["trigger"] == "manual"]
        return manual[-1] if manual else None

    def run_done(self, timeout: float = RUN_TIMEOUT_S) -> dict:
        """The first run, once done (it must not fail); its detail route answers the same."""

        seen: list[dict | None] = [None]

        def done() -> dict | None:
            run = seen[0] = self.first_run()
            assert run is None or run["status"] != "failed", run
            return run if run and run["status"] == "done" else None

        try:
            run = wait_for(done, timeout=timeout, what=f"{self.name}'s run done")
        except AssertionError as late:
            raise AssertionError(f"{late}; last seen: {seen[0]}") from None
        assert self.api.get(f"{self.path}/runs/{run['run_id']}").json()["notes"] == run["notes"]
        return run

    def activity(self) -> list[dict]:
        reply = self.api.get(f"{self.path}/activity", params={"limit": 100})
        return reply.raise_for_status().json()["entries"]

    # ------------------------------------------------------------------ the vendors' side
    def crm_names(self) -> Counter:
        url = f"{self.stack.endpoints['crm']}/_sandbox/orgs/{self.crm['org_id']}/records/Accounts"
        return Counter(
            r["Account_Name"] for r in httpx.get(url, timeout=60).raise_for_status().json()["data"]
        )

    def inventory_records(self, kind: str) -> list[dict]:
        org = self.inventory["organization_id"]
        url = f"{self.stack.endpoints['inventory']}/_sandbox/organizations/{org}/records/{kind}"
        return httpx.get(url, timeout=60).raise_for_status().json()[kind]

    def inventory_names(self) -> Counter:
        return Counter(
            c["contact_name"] for c in self.inventory_records("contacts") if c["contact_type"] == "customer"
        )

    def assert_every_record_once(self, at_least: int = CRM_ACCOUNTS + INVENTORY_CUSTOMERS) -> None:
        """No record lost (each name on both sides), none duplicated (each name once on each side)."""
        crm, inventory = self.crm_names(), self.inventory_names()
        assert set(crm) == set(inventory), f"{self.name}: lost {set(crm) ^ set(inventory)}"
        assert len(crm) >= at_least
        twice = {n: c for n, c in (crm + inventory).items() if c != 2}
        assert not twice, f"{self.name}: duplicated {twice}"


def notes(run: dict, kind: str | None = None) -> list[str]:
    return [n["message"] for n in run["notes"] if kind is None or n["kind"] == kind]


def answered(run: dict, system: str, status: str) -> bool:
    """Whether a note of the run says `system` ("the CRM", "the inventory system") answered `status`."""
    pattern = re.compile(rf"{system} (answered|did not answer)[^;.]*\b{status}\b", re.IGNORECASE)
    return any(pattern.search(message) for message in notes(run))
