"""Vendor call budgets shared by every execution environment (issue 13, point 1), on both DynamoDB
backends. Each `OrgBudget` stands for one container; racers run in threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from crmsync.adapters.dynamodb.budgets import DynamoBudgetCounters
from crmsync.adapters.shared_budget import DAY_S, DEFAULT_DAILY_CAP, OrgBudget
from crmsync.ports.errors import DailyLimitReached

ORG = "inventory#org-1"
MIDNIGHT = 1_800_000_000.0 - 1_800_000_000.0 % DAY_S + DAY_S  # a UTC midnight


class Wall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def counters(store) -> DynamoBudgetCounters:
    return DynamoBudgetCounters(store.table)


def spend(budget: OrgBudget, calls: int) -> int:
    """Takes up to `calls` calls; returns how many were granted before the day's share ran out."""
    for n in range(calls):
        try:
            budget.acquire()
        except DailyLimitReached:
            return n
    return calls


def test_containers_together_never_pass_the_vendors_minute(counters):
    """Four containers, 90 a (scaled) minute of one second: any second holds at most 99 calls."""
    starts: list[float] = []
    lock = threading.Lock()
    go = threading.Barrier(4)

    def container(_: int) -> None:
        budget = OrgBudget(counters, ORG, per_minute=90, minute_s=1.0, reserved=True)
        budget.observe({"x-rate-limit-limit": "100000", "x-rate-limit-remaining": "100000"})
        go.wait()
        for _ in range(50):
            budget.acquire()
            with lock:
                starts.append(time.monotonic())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(container, range(4)))
    starts.sort()
    busiest = max(sum(1 for t in starts[i:] if t < start + 1.0) for i, start in enumerate(starts))
    assert len(starts) == 200
    assert busiest <= 99
    assert starts[-1] - starts[0] >= 1.0  # 200 calls at 90 a second take more than two seconds' windows


def test_a_sync_stops_short_of_the_automation_reserve_and_automation_spends_it(counters):
    wall = Wall(MIDNIGHT + 3600)
    sync = OrgBudget(counters, ORG, wall=wall, sleep=wall.sleep)
    automation = OrgBudget(counters, ORG, reserved=True, wall=wall, sleep=wall.sleep)
    sync.observe({"x-rate-limit-limit": "400"})
    assert spend(sync, 1000) == 400 - 20 - 40  # less 5% headroom, less 10% reserve
    with pytest.raises(DailyLimitReached) as spent:
        sync.acquire()
    assert spent.value.retry_after == pytest.approx(MIDNIGHT + DAY_S - wall.now)  # to the next midnight
    assert spend(automation, 1000) == 40  # the reserve, untouched by the sync
    assert sync.budget().left == 0


def test_the_cap_and_the_organizations_midnight_come_from_the_vendors_headers(counters):
    wall = Wall(MIDNIGHT + 3600)
    their_midnight = wall.now + 18000
    first = OrgBudget(counters, ORG, wall=wall, sleep=wall.sleep)
    # 400 a day, 390 left (other apps' calls), the organization's midnight 5 hours from now
    first.observe(
        {"x-rate-limit-limit": "400", "x-rate-limit-remaining": "390", "x-rate-limit-reset": "18000"}
    )
    other_container = OrgBudget(counters, ORG, wall=wall, sleep=wall.sleep)
    granted = spend(other_container, 1000)
    assert granted == 400 - 20 - 40 - 10  # the vendor had counted 10 calls: the shared count caught up
    with pytest.raises(DailyLimitReached) as spent:
        other_container.acquire()
    assert spent.value.retry_after == pytest.approx(their_midnight - wall.now)


def test_a_code_45_message_names_the_cap(counters):
    wall = Wall(MIDNIGHT + 60)
    budget = OrgBudget(counters, ORG, wall=wall, sleep=wall.sleep)
    budget.observe({}, "The API call for this organization has exceeded the maximum call rate limit of 300.")
    assert spend(budget, 1000) == 300 - 15 - 30


def test_the_day_starts_again_at_the_organizations_midnight(counters):
    wall = Wall(MIDNIGHT + 60)
    budget = OrgBudget(counters, ORG, wall=wall, sleep=wall.sleep)
    budget.observe({"x-rate-limit-limit": "200"})
    assert spend(budget, 1000) == 170
    wall.now = MIDNIGHT + DAY_S + 1
    assert spend(budget, 10) == 10
    assert budget.budget().left == 160


def test_a_full_minute_window_waits_for_the_next_one_instead_of_failing(counters):
    wall = Wall(MIDNIGHT + 60)
    budget = OrgBudget(counters, ORG, per_minute=90, wall=wall, sleep=wall.sleep)
    for _ in range(27):  # three windows of 9
        budget.acquire()
    assert wall.now - (MIDNIGHT + 60) == pytest.approx(12.0)  # waited twice, 6 s each


def test_until_the_vendor_says_the_plan_the_smallest_plans_cap_holds(counters):
    wall = Wall(MIDNIGHT + 60)
    budget = OrgBudget(counters, ORG, reserved=True, wall=wall, sleep=wall.sleep)
    budget.acquire()
    assert budget.budget().left == DEFAULT_DAILY_CAP - 50 - 1
