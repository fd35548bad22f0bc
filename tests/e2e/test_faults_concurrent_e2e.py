"""Issue 13 point 9 on the concurrent local stack: faults while two tenants sync at once, each in its own
CRM org and inventory organization, the sync worker's environments in processes of their own.

- a sync worker's process killed mid-step (SIGKILL after its creates, before its checkpoint): the
  invocation fails, the batch comes back, the step waits for the dead attempt's lease (its invocation's
  deadline), then is taken over, and the run's history says so;
- a 429 storm and a 5xx outage from each vendor: the clients wait and retry, a step that fails goes back
  to the queue, and the run's history names each vendor's answers.

Every test ends with each record once on each side, the runs done and the reason in the run history.
(Revoked refresh tokens and repeated notifications: `test_faults_reauthorization_e2e.py`.)
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local.stack import LocalStack
from tests.e2e.fault_tenants import Tenant, answered, notes, start_stack
from tests.e2e.sandbox_api import wait_for

pytestmark = pytest.mark.stack

WORKER = "SyncWorkerFunction"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from start_stack()


def test_a_sync_worker_killed_mid_step_is_taken_over_once_its_lease_lapses(stack, monkeypatch, tmp_path):
    """S5, issue 13 point 9: nothing lost, nothing created twice, and the run says a step was resumed."""
    victim, other = Tenant.seeded(stack, "Killed worker"), Tenant.seeded(stack, "Bystander")
    monkeypatch.setenv("E2E_FAULT_DIR", str(tmp_path))  # environments started from now on inherit these
    monkeypatch.setenv("E2E_KILL_INTEGRATION", victim.integration_id)
    stack.invoker.preload(WORKER, "tests.e2e.worker_faults")
    try:
        victim.start_sync()
        other.start_sync()
        wait_for(lambda: (tmp_path / "killed").exists(), timeout=60, what="a worker killed")
        victim_run, other_run = victim.run_done(), other.run_done()
    finally:
        stack.invoker.preload(WORKER)

    exits = [i for i in stack.invoker.invocations_as_dicts(WORKER) if not i["ok"]]
    assert [i["error"].split(":")[0] for i in exits] == ["Runtime.ExitError"]  # the kill, seen as Lambda does
    [resumed] = notes(victim_run, "resumed")
    step = int((tmp_path / "killed").read_text())
    assert f"Step {step} was taken over after an earlier attempt stopped" in resumed
    assert notes(other_run, "resumed") == []
    for tenant in (victim, other):
        tenant.assert_every_record_once()


def test_a_429_storm_and_a_5xx_outage_of_each_vendor_are_waited_out_and_named_in_the_history(stack):
    """Issue 13 point 9: both vendors answer a storm of 429s (the inventory's code 44) and then 500s to
    the calls of two tenants' runs; the runs finish with every record once and name each answer."""
    tenants = [Tenant.seeded(stack, "Storm one"), Tenant.seeded(stack, "Storm two")]
    crm, inventory = stack.endpoints["crm"], stack.endpoints["inventory"]
    faults = {  # a storm of 429s, then 500s, to the next calls of both tenants' runs, whichever they are
        crm: [
            {"kind": "rate_limit", "next": 4, "path_prefix": "/crm/v8/Accounts"},
            {"kind": "server_error", "next": 2, "path_prefix": "/crm/v8/Accounts"},
        ],
        inventory: [
            {"kind": "rate_limit", "next": 4, "path_prefix": "/inventory/v1/contacts"},
            {"kind": "server_error", "next": 2, "path_prefix": "/inventory/v1/contacts"},
        ],
    }
    for url, rules in faults.items():
        httpx.put(f"{url}/_sandbox/faults", json={"faults": rules}).raise_for_status()
    try:
        for tenant in tenants:
            tenant.start_sync()
        runs = [tenant.run_done() for tenant in tenants]
        left = {url: httpx.get(f"{url}/_sandbox/faults").json()["faults"] for url in (crm, inventory)}
    finally:
        for url in (crm, inventory):
            httpx.put(f"{url}/_sandbox/faults", json={"faults": []}).raise_for_status()

    for rules in left.values():
        assert [r["remaining"] for r in rules] == [0, 0]  # every fault was answered to one of the runs
    for system in ("the CRM", "the inventory system"):
        assert any(answered(run, system, "429") for run in runs), (system, [notes(r) for r in runs])
        assert any(answered(run, system, "500") for run in runs), (system, [notes(r) for r in runs])
    for tenant in tenants:
        tenant.assert_every_record_once()
