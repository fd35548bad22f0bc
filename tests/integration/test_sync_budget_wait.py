"""A sync that spends its share of the inventory's day waits, and nothing fails (issue 13, point 1):
against both sandboxes over HTTP, moto's SQS, and the shared budget in moto's table.

The inventory organization allows 60 calls a day here: the sync's share is 60 less 5% headroom
and the 20 calls kept for automation, so a first sync of 60 accounts stops part way.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from crmsync.adapters.dynamodb.budgets import DynamoBudgetCounters
from crmsync.adapters.pacer import PacerPool
from crmsync.adapters.shared_budget import OrgBudget
from crmsync.domain.models import CrmSource, Module, RunStatus
from crmsync.services.sync import runs
from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

ACCOUNTS = 60
DAILY_CAP = 60


class Clock:
    """The wall both the budget and the engine read, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:  # a full minute window: the budget waits for the next
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm={"generate": {"Accounts": ACCOUNTS}}, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    org = env.inventory_seed["organization_id"]
    limits = f"{env.inventory.base_url}/_sandbox/organizations/{org}/limits"
    httpx.put(limits, json={"per_day": DAILY_CAP}).raise_for_status()
    clock = Clock()
    counters = DynamoBudgetCounters(env.store.table, wall=clock.epoch)
    env.container.clock = clock
    env.container.__dict__["inventory_pacers"] = PacerPool(
        lambda org_id: OrgBudget(counters, f"inventory#{org_id}", wall=clock.epoch, sleep=clock.sleep)
    )
    env.clock, env.limits_url = clock, limits
    return env


def test_a_sync_past_its_share_of_the_day_waits_then_goes_on_without_losing_a_record(env):
    run = env.sync(Module.CUSTOMERS)

    assert run.status is RunStatus.RUNNING and run.error is None
    waiting = run.progress
    assert waiting.waiting_for == "the inventory's daily calls"
    assert waiting.waiting_until > env.clock.now  # the organization's midnight, as its headers said
    assert env.failures(run) == []
    made = sum(n for route, n in env.calls()[1].items() if not route.startswith("POST /oauth"))
    assert made <= DAILY_CAP - 3 - 20 + 1  # the vendor never refused: the reserve is left to automation
    assert env.receive() == []  # the step's message waits in the queue, delayed
    env.container.sync_queue.send(runs.message_for(run))  # a delayed message back before the wait ends
    assert env.pump() == 1
    still = env.store.get_run(env.integration_id, run.run_id)
    assert still.progress == waiting  # it only queued itself again
    assert env.receive() == []

    httpx.put(env.limits_url, json={"per_day": 10_000}).raise_for_status()  # the next day, in effect
    env.clock.now = waiting.waiting_until + timedelta(minutes=1)
    assert not runs.requeue_if_stalled(env.store, env.container.sync_queue, run, env.clock.now)
    env.clock.now += runs.STALL_AFTER  # the delayed message would be back by now; the sweep stands in
    assert runs.requeue_if_stalled(env.store, env.container.sync_queue, run, env.clock.now)
    env.pump()

    done = env.store.get_run(env.integration_id, run.run_id)
    assert done.status is RunStatus.DONE and done.counts.added == ACCOUNTS
    names = Counter(contact["contact_name"] for contact in env.inventory_contacts())
    assert len(names) == ACCOUNTS and set(names.values()) == {1}
