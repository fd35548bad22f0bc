"""A late delivery of an older version never overwrites a newer one (sync-correctness.md: "a slow poll
must not overwrite a fresher write"; S1, S3), against both sandboxes over HTTP.

The sandboxes hold only each record's current version, so the late delivery comes from `LateRelay`,
an HTTP relay in front of the CRM sandbox that keeps one CRM listing page and answers a later listing
with it, as a lagging replica or a cache would: a change-stream page carrying the old modified time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crmsync.domain.models import CrmSource, Module, Side
from local.sandboxes.common import run_in_thread
from tests.integration.sandbox_fixtures import Sandbox
from tests.integration.test_sync_support import Sandboxes, SyncEnv, sandboxes  # noqa: F401 (fixture)

LISTING = "/crm/v8/Accounts"
HOP_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection"}


@dataclass
class KeptAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class LateRelay:
    """Relays every request to the CRM sandbox, keeping the Host header so the sandbox names the relay as
    its API domain. While `keep_text` is set, the Accounts listing answers containing it are kept;
    `deliver_late()` makes the next Accounts listing get the kept answer instead of the sandbox's."""

    def __init__(self, target: str):
        self.target = target
        self.base_url = ""  # the relay's own, once served
        self.keep_text: str | None = None
        self.kept: KeptAnswer | None = None
        self.late_pending = False
        self.app = Starlette(
            routes=[Route("/{path:path}", self.relay, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
        )

    def deliver_late(self) -> None:
        assert self.kept is not None, "no listing page was kept"
        self.late_pending = True

    async def relay(self, request: Request) -> Response:
        listing = request.method == "GET" and request.url.path == LISTING
        if listing and self.late_pending and self.kept is not None:
            self.late_pending = False
            return Response(self.kept.body, self.kept.status, self.kept.headers)
        async with httpx.AsyncClient(base_url=self.target, timeout=60.0) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=list(request.query_params.multi_items()),
                content=await request.body(),
                headers=[(k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS],
            )
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
        if listing and answer.status_code == 200 and self.keep_text and self.keep_text in answer.text:
            self.kept = KeptAnswer(answer.status_code, headers, answer.content)
        return Response(answer.content, answer.status_code, headers)


@pytest.fixture
def relay(sandboxes) -> Iterator[LateRelay]:  # noqa: F811
    late = LateRelay(sandboxes.crm.base_url)
    server = run_in_thread(late.app)
    late.base_url = server.base_url
    try:
        yield late
    finally:
        server.stop()


@pytest.fixture
def env(aws, sandboxes, relay) -> Iterator[SyncEnv]:  # noqa: F811
    crm_through_relay = Sandbox(relay.base_url)
    acme = {"Account_Name": "Acme Tools", "Phone": "+49 30 1", "Billing_City": "Berlin"}
    boxes = Sandboxes(crm_through_relay, sandboxes.inventory)
    env = SyncEnv.connect(aws, boxes, crm={"records": {"Accounts": [acme]}}, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    assert env.sync(Module.CUSTOMERS).counts.added == 1
    yield env
    crm_through_relay.close()


def after_a_second() -> None:
    """Both sandboxes stamp changes to the second: versions a second apart are ordered."""
    time.sleep(1.05)


def sync_until_phase(env: SyncEnv, phase: str) -> str:
    """Starts a run and delivers its steps until the next one is `phase`; returns the run id."""
    run = env.start(Module.CUSTOMERS)
    while env.store.get_run(env.integration_id, run.run_id).phase != phase:
        assert env.pump(steps=1) == 1, f"the run ended before its {phase} phase"
    return run.run_id


def test_late_older_crm_version_is_skipped_and_both_sides_keep_the_newer_one(env, relay):
    """Version A of the account is synced; version B reaches the sync as the linked record of an
    inventory change (the CRM pass of that run had read the account before B); then the CRM listing
    page that carried A arrives again. The mapping's CRM version is B's modified time, so A is skipped."""
    [acme] = env.mappings(Module.CUSTOMERS)
    crm, inventory = env.clients.crm, env.clients.inventory

    after_a_second()
    crm.update_records("Accounts", [{"id": acme.crm_id, "Phone": "+49 30 2"}])  # version A
    relay.keep_text = "+49 30 2"
    assert env.sync(Module.CUSTOMERS).counts.updated == 1
    relay.keep_text = None
    assert inventory.get_contact(acme.inventory_id).values["billing_address"]["phone"] == "+49 30 2"

    after_a_second()
    # an inventory change the CRM has no field for: the run writes nothing to the CRM
    inventory.update_contact(acme.inventory_id, {"company_name": "Acme Tools Holding"})
    run_id = sync_until_phase(env, "inventory")
    after_a_second()
    crm.update_records("Accounts", [{"id": acme.crm_id, "Phone": "+49 30 3"}])  # version B
    env.pump()
    assert env.store.get_run(env.integration_id, run_id).counts.updated == 1
    version_b = crm.get_record("Accounts", acme.crm_id)
    mapping = env.store.get_mapping(env.integration_id, Module.CUSTOMERS, Side.CRM, acme.crm_id)
    assert mapping.crm_modified == version_b.modified_time
    assert inventory.get_contact(acme.inventory_id).values["billing_address"]["phone"] == "+49 30 3"

    relay.deliver_late()  # the page that carried version A, delivered again
    late_run = env.sync(Module.CUSTOMERS)
    assert not relay.late_pending, "the late page was never asked for"
    contact = inventory.get_contact(acme.inventory_id).values
    assert contact["billing_address"]["phone"] == "+49 30 3", "version A overwrote version B"
    assert contact["company_name"] == "Acme Tools Holding"
    assert crm.get_record("Accounts", acme.crm_id).values["Phone"] == "+49 30 3"
    assert (late_run.counts.updated, late_run.counts.failed) == (0, 0)
