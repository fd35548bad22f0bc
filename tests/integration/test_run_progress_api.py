"""Watching a run from a console (console issue, point 4): a run's failures a page at a time, and its
progress on the run and on the module's status, as API Gateway calls the routes after the authorizer,
with moto and both sandboxes over HTTP. Runs go through the queue to the worker's use case, a step
at a time where a test looks at a run in the middle."""

from __future__ import annotations

import math

import pytest

from crmsync.api.app import create_resolver, resolve
from crmsync.api.routers import modules
from crmsync.api.routers import sync as sync_routes
from crmsync.domain.models import CrmSource, Module
from tests.conftest import ApiClient
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)

PACED_PER_MINUTE = 100_000  # SyncEnv's inventory pacer: TokenBucket(100_000, 60.0), burst a tenth
PACE = (PACED_PER_MINUTE - PACED_PER_MINUTE // 10) / 60.0


def api_for(env: SyncEnv) -> ApiClient:
    app = create_resolver(sync_routes.router, modules.router)

    def handler(event, context):
        app.append_context(deps=env.container.deps)
        return resolve(app, event, context)

    return ApiClient(handler, TENANT)


@pytest.fixture
def customers(aws, sandboxes) -> SyncEnv:  # noqa: F811
    crm = {"records": {"Accounts": [{"Account_Name": "Acme Tools"}, {"Account_Name": "Globex"}]}}
    inventory = {"contacts": [{"contact_name": "Only In Inventory", "contact_type": "customer"}]}
    env = SyncEnv.connect(aws, sandboxes, crm=crm, inventory=inventory)
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    return env


def items_sharing_one_sku(aws, sandboxes, count: int) -> SyncEnv:  # noqa: F811
    """The inventory refuses an item whose SKU another item has: all but one of the products fail."""
    same_code = [{"Product_Name": f"Widget {n}", "Product_Code": "W-1"} for n in range(count)]
    env = SyncEnv.connect(aws, sandboxes, crm={"records": {"Products": same_code}}, inventory={})
    env.configure(Module.ITEMS)
    return env


def test_a_runs_failures_are_paged_through_with_the_cursor_and_counted_on_the_run(
    aws, sandboxes  # noqa: F811
):
    env = items_sharing_one_sku(aws, sandboxes, 6)
    run = env.sync(Module.ITEMS)
    api = api_for(env)
    path = f"/integrations/{env.integration_id}/runs/{run.run_id}"

    status, listed = api("GET", path)
    assert status == 200 and "failures" not in listed
    assert (listed["failure_count"], listed["counts"]["added"], listed["counts"]["failed"]) == (5, 1, 5)
    pages = [api("GET", f"{path}/failures", query={"limit": "2"})[1]]
    while cursor := pages[-1]["next_cursor"]:
        pages.append(api("GET", f"{path}/failures", query={"limit": "2", "cursor": cursor})[1])
    failures = [f for page in pages for f in page["failures"]]
    assert [len(page["failures"]) for page in pages] == [2, 2, 1]
    synced = {m.crm_id for m in env.mappings(Module.ITEMS)}
    crm_ids = {p["id"] for p in env.crm_records("Products", ["Product_Name"])}
    assert {(f["side"], f["record_id"]) for f in failures} == {("crm", i) for i in crm_ids - synced}
    assert all(f["reason"].startswith("inventory refused the item: ") for f in failures)
    one_page = api("GET", f"{path}/failures", query={"limit": "200"})[1]
    assert one_page == {"failures": failures, "next_cursor": None}


def test_a_runs_failures_answer_400_for_a_cursor_of_another_listing_and_404_for_a_run_not_the_tenants(
    aws, sandboxes  # noqa: F811
):
    env = items_sharing_one_sku(aws, sandboxes, 3)
    first, second = env.sync(Module.ITEMS), env.sync(Module.ITEMS)
    api = api_for(env)
    base = f"/integrations/{env.integration_id}"
    cursor = api("GET", f"{base}/runs/{first.run_id}/failures", query={"limit": "1"})[1]["next_cursor"]
    assert cursor is not None
    status, error = api("GET", f"{base}/runs/{second.run_id}/failures", query={"cursor": cursor})
    assert status == 400 and error["error"]["code"] == "invalid_cursor"
    assert api("GET", f"{base}/runs/{first.run_id}/failures", query={"cursor": "garbage"})[0] == 400
    assert api("GET", f"{base}/runs/{first.run_id}/failures", query={"limit": "0"})[0] == 422
    assert api("GET", f"{base}/runs/{first.run_id}/failures", query={"limit": "201"})[0] == 422
    assert api("GET", f"{base}/runs/r-unknown/failures")[0] == 404
    other_tenant = ApiClient(api.handler, "t-other")
    assert other_tenant("GET", f"{base}/runs/{first.run_id}/failures")[0] == 404


def test_a_finished_runs_progress_is_done_with_what_it_read_and_wrote(customers):
    run = customers.sync(Module.CUSTOMERS)
    api = api_for(customers)
    _, listed = api("GET", f"/integrations/{customers.integration_id}/runs/{run.run_id}")
    progress, counts = listed["progress"], listed["counts"]

    # read: the two CRM accounts and the inventory customer; written: each created on the other side
    assert (listed["status"], progress["phase"]) == ("done", "done")
    assert (progress["read"], progress["total"]) == (3, 3)
    assert progress["written"] == counts["added"] + counts["updated"] == 3
    assert progress["eta_seconds"] == 0 and progress["updated_at"] <= listed["ended_at"]
    _, inventory_calls = customers.calls()
    api_calls = sum(n for call, n in inventory_calls.items() if "/inventory/v1/" in call)
    assert PACED_PER_MINUTE - api_calls <= progress["budget"]["inventory"] < PACED_PER_MINUTE
    assert progress["budget"]["crm"] is None  # the CRM tells its credits only once half are spent
    _, module = api("GET", f"/integrations/{customers.integration_id}/modules/customers")
    assert module["last_run_id"] == run.run_id and module["progress"] == progress


def test_progress_mid_run_shows_the_phase_and_what_was_read_and_a_total_once_the_listings_end(customers):
    api = api_for(customers)
    run = customers.start(Module.CUSTOMERS)
    path = f"/integrations/{customers.integration_id}/runs/{run.run_id}"
    queued = api("GET", path)[1]["progress"]
    assert (queued["phase"], queued["read"], queued["written"]) == ("crm:Accounts", 0, 0)
    assert (queued["total"], queued["eta_seconds"]) == (None, None)

    customers.pump(steps=1)  # the CRM's accounts: one page, staged for matching
    _, running = api("GET", path)
    progress = running["progress"]
    assert (running["status"], progress["phase"], progress["read"], progress["written"]) == (
        "running", "deleted:Accounts", 2, 0)
    # Neither sandbox's list answer carries a total (as the vendors'): unknown while listings remain.
    assert (progress["total"], progress["eta_seconds"]) == (None, None)
    _, module = api("GET", f"/integrations/{customers.integration_id}/modules/customers")
    assert (module["status"], module["progress"]) == ("running", progress)

    customers.pump(steps=2)  # the CRM's deleted records, then the inventory's customers: reading is over
    progress = api("GET", path)[1]["progress"]
    assert (progress["phase"], progress["read"], progress["total"]) == ("match:crm", 3, 3)
    assert progress["eta_seconds"] == math.ceil(3 / PACE)  # three staged records to create, at the pace
    assert progress["updated_at"] > running["progress"]["updated_at"]

    customers.pump()
    assert api("GET", path)[1]["progress"]["phase"] == "done"
