"""Retrying open failures and the CRM view picker (console issue, point 4) as API Gateway calls the
routes after the authorizer, with moto and both sandboxes over HTTP. A record fails for real: the
inventory refuses an item whose SKU another item has; fixing the SKU in the CRM fixes the cause."""

from __future__ import annotations

from collections import Counter

from crmsync.api.app import create_resolver, resolve
from crmsync.api.routers import failures, module_views, modules
from crmsync.api.routers import sync as sync_routes
from crmsync.domain.models import CrmSource, DuplicatePolicy, IntegrationState, Module, Side, Trigger
from crmsync.domain.sync_state import Failure
from crmsync.services.sync import retry
from tests.conftest import ApiClient
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)


def api_for(env: SyncEnv) -> ApiClient:
    app = create_resolver(failures.router, module_views.router, modules.router, sync_routes.router)

    def handler(event, context):
        app.append_context(deps=env.container.deps)
        return resolve(app, event, context)

    return ApiClient(handler, TENANT)


def products(*pairs: tuple[str, str]) -> dict:
    return {"records": {"Products": [{"Product_Name": name, "Product_Code": code} for name, code in pairs]}}


def items_env(aws, sandboxes, *pairs: tuple[str, str]) -> tuple[SyncEnv, ApiClient]:  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm=products(*pairs), inventory={})
    env.configure(Module.ITEMS)
    env.sync(Module.ITEMS)
    return env, api_for(env)


def crm_ids(env: SyncEnv) -> dict[str, str]:
    return {p["Product_Name"]: p["id"] for p in env.crm_records("Products", ["Product_Name"])}


def set_codes(env: SyncEnv, codes: dict[str, str]) -> None:
    ids = crm_ids(env)
    outcomes = env.clients.crm.update_records(
        "Products", [{"id": ids[name], "Product_Code": code} for name, code in codes.items()], trigger=[]
    )
    assert all(o.ok for o in outcomes)


def open_failures(api: ApiClient, env: SyncEnv) -> list[dict]:
    status, body = api("GET", f"/integrations/{env.integration_id}/failures", query={"limit": "200"})
    assert status == 200 and body["next_cursor"] is None
    return body["failures"]


def skus(env: SyncEnv) -> dict[str, str]:
    return {item["name"]: item["sku"] for item in env.inventory_items()}


def retry_failures(api: ApiClient, env: SyncEnv, body: dict | None = None) -> tuple[int, dict]:
    return api("POST", f"/integrations/{env.integration_id}/failures/retry", body)


# ------------------------------------------------------------------ one record
def test_one_record_stays_open_while_inventory_refuses_it_and_closes_once_the_cause_is_fixed(aws, sandboxes):  # noqa: F811
    env, api = items_env(aws, sandboxes, ("Widget", "W-1"), ("Widget Pro", "W-1"))
    [before] = open_failures(api, env)
    widget_pro = crm_ids(env)["Widget Pro"]
    assert (before["module"], before["side"], before["record_id"]) == ("items", "crm", widget_pro)

    status, body = retry_failures(api, env, {"module": "items", "record_id": widget_pro})

    assert status == 200 and (body["retried"], body["synced"]) == (1, 0)
    [still] = body["still_failing"]
    assert (still["record_id"], still["first_seen"]) == (widget_pro, before["first_seen"])
    assert still["reason"].startswith("inventory refused the item: ") and "W-1" in still["reason"]
    assert still["last_seen"] > before["last_seen"] and still["run_id"] != before["run_id"]
    assert open_failures(api, env) == [still]
    [retry_run] = env.store.list_runs(env.integration_id, limit=1).items
    assert (retry_run.run_id, retry_run.trigger, retry_run.counts.failed) == (still["run_id"], Trigger.RETRY, 1)
    assert retry_run.failure_count == 1 and (retry_run.progress.phase, retry_run.progress.read) == ("done", 1)

    set_codes(env, {"Widget Pro": "W-2"})
    status, body = retry_failures(api, env, {"module": "items", "record_id": widget_pro, "side": "crm"})

    assert status == 200 and body == {"retried": 1, "synced": 1, "still_failing": []}
    assert open_failures(api, env) == []
    assert skus(env) == {"Widget": "W-1", "Widget Pro": "W-2"}
    assert {m.crm_id for m in env.mappings(Module.ITEMS)} == set(crm_ids(env).values())
    status, gone = retry_failures(api, env, {"module": "items", "record_id": widget_pro})
    assert status == 404 and widget_pro in gone["error"]["message"]


def test_a_mapped_record_whose_update_was_refused_syncs_on_retry_once_fixed(aws, sandboxes):  # noqa: F811
    env, api = items_env(aws, sandboxes, ("Anvil", "A-1"), ("Bucket", "B-1"))
    set_codes(env, {"Anvil": "B-1"})  # the update of a linked item to a SKU another item has
    env.sync(Module.ITEMS)
    [failure] = open_failures(api, env)
    assert (failure["record_id"], failure["side"]) == (crm_ids(env)["Anvil"], "crm")

    assert retry_failures(api, env, {"side": "inventory"})[1] == {"retried": 0, "synced": 0, "still_failing": []}
    status, body = retry_failures(api, env, {"side": "crm"})
    assert status == 200 and (body["retried"], body["synced"]) == (1, 0)

    set_codes(env, {"Anvil": "A-2"})
    status, body = retry_failures(api, env)

    assert status == 200 and body == {"retried": 1, "synced": 1, "still_failing": []}
    assert skus(env) == {"Anvil": "A-2", "Bucket": "B-1"} and open_failures(api, env) == []


# ------------------------------------------------------------------ every open failure
def test_every_open_failure_of_a_module_is_retried_at_once_and_those_still_failing_are_listed(aws, sandboxes):  # noqa: F811
    env, api = items_env(aws, sandboxes, ("P1", "X"), ("P2", "X"), ("P3", "X"), ("P4", "X"))
    ids = crm_ids(env)
    failed = sorted(name for name, crm_id in ids.items() if crm_id in {f["record_id"] for f in open_failures(api, env)})
    assert len(failed) == 3
    set_codes(env, {failed[0]: "Y0", failed[1]: "Y1"})

    status, body = retry_failures(api, env, {"module": "items"})

    assert status == 200 and (body["retried"], body["synced"]) == (3, 2)
    assert [f["record_id"] for f in body["still_failing"]] == [ids[failed[2]]]
    assert [f["record_id"] for f in open_failures(api, env)] == [ids[failed[2]]]
    assert (skus(env)[failed[0]], skus(env)[failed[1]], len(skus(env))) == ("Y0", "Y1", 3)


def test_more_failures_than_a_request_retries_are_queued_as_a_retry_run_the_worker_steps_through(aws, sandboxes):  # noqa: F811
    names = [f"Gadget {n:02}" for n in range(retry.INLINE_LIMIT + 2)]
    env, api = items_env(aws, sandboxes, *[(name, "G") for name in names])
    before = {f["record_id"]: f for f in open_failures(api, env)}
    assert len(before) == retry.INLINE_LIMIT + 1

    status, body = retry_failures(api, env, {"module": "items"})

    assert status == 202
    [started] = body["runs"]
    assert (started["module"], started["status"]) == ("items", "queued")
    assert retry_failures(api, env)[0] == 409  # the retry run is going
    env.pump()
    run = env.store.get_run(env.integration_id, started["run_id"])
    assert (run.trigger, run.status.value, run.counts.failed) == (Trigger.RETRY, "done", retry.INLINE_LIMIT + 1)
    assert sum(1 for m in env.delivered if m.run_id == run.run_id) >= 3  # two retry pages, then the matches
    after = {f["record_id"]: f for f in open_failures(api, env)}
    assert after.keys() == before.keys()
    assert all(f["run_id"] == run.run_id and f["last_seen"] > before[r]["last_seen"] for r, f in after.items())

    set_codes(env, {name: f"G-{n}" for n, name in enumerate(names)})
    status, body = retry_failures(api, env)
    assert status == 202
    env.pump()

    assert open_failures(api, env) == []
    ids = crm_ids(env)
    created_first = {name: "G" for name in names if ids[name] not in before}  # not retried: it never failed
    assert skus(env) == {name: f"G-{n}" for n, name in enumerate(names)} | created_first


# ------------------------------------------------------------------ refusals
def test_retry_is_refused_in_a_state_that_cannot_sync_and_for_what_is_not_there(aws, sandboxes):  # noqa: F811
    env, api = items_env(aws, sandboxes, ("Widget", "W-1"), ("Widget Pro", "W-1"))
    widget_pro = crm_ids(env)["Widget Pro"]
    one = {"module": "items", "record_id": widget_pro}

    assert retry_failures(api, env, {"module": "customers"})[0] == 409  # not configured
    env.store.set_module_paused(env.integration_id, Module.ITEMS, True)
    status, paused = retry_failures(api, env, one)
    assert status == 409 and paused["error"]["details"]["current"] == "paused"
    assert retry_failures(api, env)[0] == 409  # every module: the paused one has open failures
    env.store.set_module_paused(env.integration_id, Module.ITEMS, False)
    env.store.transition_integration(env.integration_id, allowed_from={IntegrationState.ACTIVE}, to=IntegrationState.DISABLED)
    assert retry_failures(api, env, one)[0] == 409
    env.store.transition_integration(env.integration_id, allowed_from={IntegrationState.DISABLED}, to=IntegrationState.ACTIVE)

    assert ApiClient(api.handler, "t-other")("POST", f"/integrations/{env.integration_id}/failures/retry", one)[0] == 404
    assert retry_failures(api, env, {"module": "items", "record_id": "123"})[0] == 404
    status, refused = retry_failures(api, env, {"record_id": widget_pro})
    assert status == 422 and [f["field"] for f in refused["error"]["details"]["fields"]] == ["module"]
    assert retry_failures(api, env, {"module": "items", "extra": 1})[0] == 422
    assert retry_failures(api, env, {"module": "items", "record_id": "../x"})[0] == 422
    assert len(open_failures(api, env)) == 1  # nothing was retried


# ------------------------------------------------------------------ the view picker (M5)
CRM_WITH_VIEWS = {
    "records": {"Accounts": [{"Account_Name": "Acme Tools"}]},
    "custom_views": {"Accounts": [{"name": "Key accounts", "criteria": "(Account_Type:equals:Customer)"}]},
}


def test_views_list_the_crms_own_views_of_each_crm_module_and_a_listed_one_can_be_saved(aws, sandboxes):  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm=CRM_WITH_VIEWS, inventory={})
    api = api_for(env)
    base = f"/integrations/{env.integration_id}/modules"

    status, customers = api("GET", f"{base}/customers/views")

    assert status == 200 and set(customers["views"]) == {"accounts", "contacts"}
    served = {
        key: [(v.id, v.display_value, v.system_defined) for v in env.clients.crm.list_custom_views(module)]
        for key, module in (("accounts", "Accounts"), ("contacts", "Contacts"))
    }
    assert {key: [(v["id"], v["name"], v["system"]) for v in views] for key, views in customers["views"].items()} == served
    accounts = {v["name"]: v for v in customers["views"]["accounts"]}
    assert accounts["All Accounts"]["system"] is True and accounts["Key accounts"]["system"] is False
    assert set(api("GET", f"{base}/vendors/views")[1]["views"]) == {"vendors"}
    assert set(api("GET", f"{base}/items/views")[1]["views"]) == {"products"}

    chosen = {"crm_source": "accounts", "views": {"accounts": accounts["Key accounts"]["id"]}}
    status, saved = api("PUT", f"{base}/customers", chosen)
    assert status == 200 and saved["preferences"]["views"]["accounts"] == accounts["Key accounts"]["id"]
    status, refused = api("PUT", f"{base}/customers", {**chosen, "views": {"accounts": "5843000000000999"}})
    assert status == 422 and [f["field"] for f in refused["error"]["details"]["fields"]] == ["views.accounts"]


def test_views_answer_404_for_another_tenant_422_for_an_unknown_module_and_503_when_the_crm_fails(aws, sandboxes):  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm=CRM_WITH_VIEWS, inventory={})
    api = api_for(env)
    path = f"/integrations/{env.integration_id}/modules/customers/views"

    assert ApiClient(api.handler, "t-other")("GET", path)[0] == 404
    assert api("GET", path.replace("customers", "deals"))[0] == 422
    env.crm.set_faults({"kind": "server_error", "next": 100, "path_prefix": "/crm/v8/settings/custom_views"})
    try:
        status, body = api("GET", path)
    finally:
        env.crm.set_faults()
    assert status == 503 and body["error"]["code"] == "crm_unavailable"


# ------------------------------------------------------------------ other sides and older failures
def test_an_inventory_record_the_crm_refused_is_read_again_from_inventory_and_pushed_once_renamed(aws, sandboxes):  # noqa: F811
    env = SyncEnv.connect(
        aws, sandboxes, crm={"records": {"Accounts": [{"Account_Name": "Acme Tools"}]}},
        inventory={"contacts": [{"contact_name": "Acme Tools", "contact_type": "customer", "customer_sub_type": "business"}]},
    )
    api = api_for(env)
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.CLONE)
    env.sync(Module.CUSTOMERS)
    [failure] = open_failures(api, env)
    assert failure["side"] == "inventory" and "same Account_Name exists" in failure["reason"]
    one = {"module": "customers", "record_id": failure["record_id"], "side": "inventory"}

    status, body = retry_failures(api, env, one)
    assert status == 200 and body["synced"] == 0 and "same Account_Name exists" in body["still_failing"][0]["reason"]

    env.clients.inventory.update_contact(failure["record_id"], {"contact_name": "Acme Tools Ltd"})
    status, body = retry_failures(api, env, one)

    assert status == 200 and body == {"retried": 1, "synced": 1, "still_failing": []}
    assert sorted(a["Account_Name"] for a in env.crm_records("Accounts", ["Account_Name"])) == [
        "Acme Tools", "Acme Tools Ltd"]


def test_a_failure_recorded_without_its_record_kind_is_found_in_the_modules_crm_modules(aws, sandboxes):  # noqa: F811
    crm = {"records": {"Accounts": [{"Account_Name": "Acme Tools"}], "Contacts": [{"Last_Name": "Lovelace"}]}}
    env = SyncEnv.connect(aws, sandboxes, crm=crm, inventory={})
    api = api_for(env)
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS_AND_CONTACTS, include_unassociated_contacts=True)
    run = env.sync(Module.CUSTOMERS)
    [contact] = env.crm_records("Contacts", ["Last_Name"])
    at = run.ended_at
    env.store.record_failures([Failure(  # as an older release recorded it: no record kind
        integration_id=env.integration_id, run_id=run.run_id, module=Module.CUSTOMERS, side=Side.CRM,
        record_id=contact["id"], reason="inventory refused the customer: timeout", first_seen=at, last_seen=at,
    )])

    calls_before = env.calls()[0]
    status, body = retry_failures(api, env, {"module": "customers"})

    assert status == 200 and body == {"retried": 1, "synced": 1, "still_failing": []}  # in step: no write needed
    # read as an account (not there), then as a contact; nothing written
    assert env.calls()[0] - calls_before == Counter({"GET /crm/v8/{module}/{id}": 2})
    assert open_failures(api, env) == []
