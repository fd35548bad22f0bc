"""Shared vendor budgets against the inventory sandbox's real limits (issue 13, point 1).

Each client stands for one execution environment: its own HTTP client and its own `OrgBudget`,
sharing only the table. The sandbox's minute is scaled to two seconds (sub-windows of 0.2 s: enough
to absorb a loaded machine's scheduling jitter); the clients do not retry, so a single 429 fails.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from crmsync.adapters.crm import ZohoCrmClient
from crmsync.adapters.crm.errors import CREDITS_REMAINING
from crmsync.adapters.dynamodb.budgets import DynamoBudgetCounters
from crmsync.adapters.http import RetryPolicy
from crmsync.adapters.inventory import ZohoInventoryClient
from crmsync.adapters.shared_budget import CreditReserve, OrgBudget
from crmsync.ports.errors import DailyLimitReached, RateLimited

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.table_fixtures"]

NO_RETRY = RetryPolicy(max_attempts=1, timeout=10.0)
GET_ITEM = "GET /inventory/v1/items/{item_id}"


MINUTE_S = 2.0


def container(sandbox, seed, table, *, reserved: bool) -> ZohoInventoryClient:
    org = seed["organization_id"]
    budget = OrgBudget(DynamoBudgetCounters(table), f"inventory#{org}", minute_s=MINUTE_S, reserved=reserved)
    return ZohoInventoryClient.connect(sandbox.credentials(seed), org, pacer=budget, policy=NO_RETRY)


def test_three_containers_of_one_organization_stay_under_its_minute(inventory_sandbox, moto_table):
    seed = inventory_sandbox.seed({"items": [{"name": "Paced", "sku": "PACE-1"}]})
    inventory_sandbox.set_limits(per_minute=100, window_seconds=MINUTE_S)
    item_id = seed["ids"]["items"]["PACE-1"]
    containers = [container(inventory_sandbox, seed, moto_table, reserved=True) for _ in range(3)]
    go = threading.Barrier(3)

    def work(client: ZohoInventoryClient) -> list[str]:
        go.wait()
        return [client.get_item(item_id).values["name"] for _ in range(70)]

    with ThreadPoolExecutor(3) as pool:
        names = [name for names in pool.map(work, containers) for name in names]
    assert names == ["Paced"] * 210  # no call was refused
    assert inventory_sandbox.calls()[GET_ITEM] == 210


def test_a_sync_leaves_the_daily_reserve_to_automation_and_the_vendor_never_says_45(
    inventory_sandbox, moto_table
):
    seed = inventory_sandbox.seed({"items": [{"name": "Daily", "sku": "DAY-1"}]})
    inventory_sandbox.set_limits(per_day=200, per_minute=100, window_seconds=MINUTE_S)
    item_id = seed["ids"]["items"]["DAY-1"]
    sync = container(inventory_sandbox, seed, moto_table, reserved=False)
    automation = container(inventory_sandbox, seed, moto_table, reserved=True)
    made = inventory_sandbox.calls().get(GET_ITEM, 0)

    with pytest.raises(DailyLimitReached) as spent:
        while True:
            sync.get_item(item_id)
    synced = inventory_sandbox.calls()[GET_ITEM] - made
    for _ in range(20):  # the reserve: 10% of the 200 the vendor's header named
        automation.get_item(item_id)
    with pytest.raises(DailyLimitReached):
        automation.get_item(item_id)  # all but the 5% headroom is spent

    assert spent.value.code == "DAILY_BUDGET" and spent.value.retry_after > 0
    assert synced == 200 - 10 - 20  # the cap the header named, less headroom and reserve
    assert inventory_sandbox.calls()[GET_ITEM] - made == synced + 20


def test_a_sync_keeps_the_crms_last_credits_for_automation(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    crm_sandbox.set_limits(credits_per_day=100)
    sync = ZohoCrmClient.connect(
        crm_sandbox.credentials(seed), policy=NO_RETRY, pacer=CreditReserve(CREDITS_REMAINING, reserve=20)
    )
    automation = ZohoCrmClient.connect(crm_sandbox.credentials(seed), policy=NO_RETRY)

    with pytest.raises(DailyLimitReached) as kept:
        while True:
            sync.get_org()
    assert kept.value.code == "DAILY_BUDGET"
    assert sync.call_budget().left == 20
    for _ in range(20):
        automation.get_org()  # the reserve is there for automation
    with pytest.raises(RateLimited):
        automation.get_org()  # and then the CRM's own limit
