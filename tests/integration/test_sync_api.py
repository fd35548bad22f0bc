"""The sync routes (S3, S4, S5, W1, W2) as API Gateway calls them after the authorizer, with moto and
both sandboxes over HTTP; the runs they start go through the queue to the worker's use case."""

from __future__ import annotations

import time

import pytest

from crmsync.api.app import create_resolver, resolve
from crmsync.api.routers import sync as sync_routes
from crmsync.domain.models import CrmSource, IntegrationState, Module
from tests.conftest import ApiClient
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)

CRM = {
    "records": {
        "Accounts": [{"Account_Name": "Acme Tools", "Billing_City": "Berlin"}, {"Account_Name": "Globex"}],
        "Contacts": [
            {"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com"},
            {"First_Name": "Grace", "Last_Name": "Hopper", "Account_Name": "Acme Tools"},
        ],
        "Vendors": [{"Vendor_Name": "Parts & Co"}],
    }
}
INVENTORY = {"contacts": [{"contact_name": "Only In Inventory", "contact_type": "customer"}]}


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm=CRM, inventory=INVENTORY)
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    return env


def api_for(env: SyncEnv) -> ApiClient:
    app = create_resolver(sync_routes.router)

    def handler(event, context):
        app.append_context(deps=env.container.deps)
        return resolve(app, event, context)

    return ApiClient(handler, TENANT)


@pytest.fixture
def api(env) -> ApiClient:
    return api_for(env)


def test_sync_now_answers_202_with_run_ids_and_the_history_lists_the_finished_run(env, api):
    status, body = api("POST", f"/integrations/{env.integration_id}/sync", {"modules": ["customers"]})
    assert status == 202
    [started] = body["runs"]
    assert (started["module"], started["status"]) == ("customers", "queued")
    env.pump()
    status, history = api("GET", f"/integrations/{env.integration_id}/runs", query={"limit": "5"})
    assert status == 200 and history["next_cursor"] is None
    [run] = history["runs"]
    assert run["run_id"] == started["run_id"]
    assert (run["trigger"], run["status"], run["counts"]["added"]) == ("manual", "done", 3)
    assert run["started_at"] <= run["ended_at"] and run["failure_count"] == 0
    status, one = api("GET", f"/integrations/{env.integration_id}/runs/{started['run_id']}")
    assert status == 200 and one == run


def test_sync_now_without_body_runs_every_configured_module_and_reuses_a_running_run(env, api):
    env.configure(Module.VENDORS)
    status, body = api("POST", f"/integrations/{env.integration_id}/sync")
    assert status == 202 and {r["module"] for r in body["runs"]} == {"customers", "vendors"}
    again = api("POST", f"/integrations/{env.integration_id}/sync")[1]
    assert {r["run_id"] for r in again["runs"]} == {r["run_id"] for r in body["runs"]}


def test_history_pages_newest_first_and_shows_each_failure_with_its_reason(aws, sandboxes):  # noqa: F811
    products = [{"Product_Name": "Widget", "Product_Code": "W-1"}, {"Product_Name": "Widget Pro", "Product_Code": "W-1"}]
    env = SyncEnv.connect(aws, sandboxes, crm={"records": {"Products": products}}, inventory={})
    api = api_for(env)
    env.configure(Module.ITEMS)
    first = env.sync(Module.ITEMS)
    second = env.sync(Module.ITEMS)
    page = api("GET", f"/integrations/{env.integration_id}/runs", query={"limit": "1"})[1]
    [newest] = page["runs"]
    [older] = api("GET", f"/integrations/{env.integration_id}/runs",
                  query={"limit": "1", "cursor": page["next_cursor"]})[1]["runs"]
    assert (newest["run_id"], older["run_id"]) == (second.run_id, first.run_id)
    assert (older["status"], older["counts"]["added"], older["counts"]["failed"]) == ("done", 1, 1)
    assert older["failure_count"] == 1  # one record's failure is not the run's: it is listed with its reason
    of_older = f"/integrations/{env.integration_id}/runs/{older['run_id']}/failures"
    [failure] = api("GET", of_older)[1]["failures"]
    widget_pro = next(p for p in env.crm_records("Products", ["Product_Name"]) if p["Product_Name"] == "Widget Pro")
    assert (failure["side"], failure["record_id"]) == ("crm", widget_pro["id"])
    assert failure["reason"].startswith("inventory refused the item: ")


def test_history_counts_a_crm_delete_as_deleted_in_crm_kept_in_inventory(env, api):
    """S5, S8: a record deleted in the CRM is counted for what happened to it: kept in inventory."""
    env.sync(Module.CUSTOMERS)
    acme = next(m for m in env.mappings(Module.CUSTOMERS) if m.base.get("contact_name") == "Acme Tools")
    env.clients.crm.delete_records("Accounts", [acme.crm_id])
    env.sync(Module.CUSTOMERS)
    [newest] = api("GET", f"/integrations/{env.integration_id}/runs", query={"limit": "1"})[1]["runs"]
    counts = newest["counts"]
    assert (counts["deleted_in_crm_kept"], counts["added"], counts["updated"], counts["failed"]) == (1, 0, 0, 0)
    assert counts["deleted"] == 1  # the former name, kept for API clients that read it
    assert env.clients.inventory.get_contact(acme.inventory_id).values["contact_name"] == "Acme Tools"
    module = env.store.get_module(env.integration_id, Module.CUSTOMERS)
    assert module.last_run_counts.deleted_in_crm_kept == 1


def test_open_failures_list_a_failed_record_by_module_until_it_syncs(aws, sandboxes):  # noqa: F811
    products = [{"Product_Name": "Widget", "Product_Code": "W-1"}, {"Product_Name": "Widget Pro", "Product_Code": "W-1"}]
    env = SyncEnv.connect(aws, sandboxes, crm={"records": {"Products": products}}, inventory={})
    api = api_for(env)
    env.configure(Module.ITEMS)
    first = env.sync(Module.ITEMS)
    second = env.sync(Module.ITEMS)  # the same record fails again: still one open failure
    status, body = api("GET", f"/integrations/{env.integration_id}/failures")
    assert status == 200 and body["next_cursor"] is None
    [failure] = body["failures"]
    widget_pro = next(p for p in env.crm_records("Products", ["Product_Name"]) if p["Product_Name"] == "Widget Pro")
    assert (failure["module"], failure["side"], failure["record_id"]) == ("items", "crm", widget_pro["id"])
    assert failure["reason"].startswith("inventory refused the item: ")
    assert failure["run_id"] in (first.run_id, second.run_id) and failure["first_seen"] < failure["last_seen"]
    assert api("GET", f"/integrations/{env.integration_id}/failures", query={"module": "items"})[1] == body
    assert api("GET", f"/integrations/{env.integration_id}/failures", query={"module": "customers"})[1] == {
        "failures": [], "next_cursor": None}
    assert ApiClient(api.handler, "t-other")("GET", f"/integrations/{env.integration_id}/failures")[0] == 404


@pytest.mark.parametrize("state", [IntegrationState.PAUSED, IntegrationState.DISABLED])
def test_sync_now_answers_409_when_the_integration_is_paused_or_disabled(env, api, state):
    env.store.transition_integration(env.integration_id, allowed_from={IntegrationState.ACTIVE}, to=state)
    status, body = api("POST", f"/integrations/{env.integration_id}/sync")
    assert status == 409 and state.value in body["error"]["message"]


def test_sync_now_answers_409_when_the_module_is_paused_or_not_configured(env, api):
    env.store.set_module_paused(env.integration_id, Module.CUSTOMERS, True)
    assert api("POST", f"/integrations/{env.integration_id}/sync", {"modules": ["customers"]})[0] == 409
    assert api("POST", f"/integrations/{env.integration_id}/sync", {"modules": ["items"]})[0] == 409


def test_every_route_answers_404_for_another_tenants_integration(env, api):
    other = ApiClient(api.handler, "t-other")
    base = f"/integrations/{env.integration_id}"
    for method, path, body, query in [
        ("POST", f"{base}/sync", None, None),
        ("GET", f"{base}/runs", None, None),
        ("GET", f"{base}/runs/r-1", None, None),
        ("GET", f"{base}/runs/r-1/failures", None, None),
        ("POST", f"{base}/contacts/123/resync", None, None),
        ("GET", f"{base}/contacts", None, {"source": "crm", "type": "customer"}),
        ("GET", f"{base}/crm/search", None, {"module": "accounts", "name": "Acme"}),
        ("POST", f"{base}/crm/import", {"module": "accounts", "crm_id": "1"}, None),
    ]:
        status, error = other(method, path, body, query=query)
        assert status == 404 and error["error"]["code"] == "not_found", path


def test_resync_applies_the_crm_record_to_the_inventory_contact_now(env, api):
    env.sync(Module.CUSTOMERS)
    acme = next(m for m in env.mappings(Module.CUSTOMERS) if m.base.get("contact_name") == "Acme Tools")
    time.sleep(1.05)
    env.clients.inventory.update_contact(acme.inventory_id, {"billing_address": {"city": "Bonn"}})
    env.clients.crm.update_records("Accounts", [{"id": acme.crm_id, "Account_Name": "Acme Tools AG"}])
    status, contact = api("POST", f"/integrations/{env.integration_id}/contacts/{acme.inventory_id}/resync")
    assert status == 200 and contact["contact_name"] == "Acme Tools AG"
    values = env.clients.inventory.get_contact(acme.inventory_id).values
    assert values["billing_address"]["city"] == "Berlin"  # the CRM's value, re-synced from the CRM
    newest = env.store.list_runs(env.integration_id, limit=1).items[0]
    assert (newest.trigger.value, newest.status.value, newest.counts.updated) == ("resync", "done", 1)
    assert (newest.progress.phase, newest.progress.read, newest.progress.written, newest.failure_count) == (
        "done", 1, 1, 0)


def test_resync_answers_404_for_a_contact_not_linked_to_the_crm(env, api):
    [own] = [c for c in env.inventory_contacts() if c["contact_name"] == "Only In Inventory"]
    status, _ = api("POST", f"/integrations/{env.integration_id}/contacts/{own['contact_id']}/resync")
    assert status == 404


def test_contacts_from_the_crm_are_listed_page_by_page(env, api):
    env.sync(Module.CUSTOMERS)
    base = f"/integrations/{env.integration_id}/contacts"
    first = api("GET", base, query={"source": "crm", "type": "customer", "limit": "2"})[1]
    second = api("GET", base, query={"source": "crm", "type": "customer", "limit": "2",
                                     "cursor": first["next_cursor"]})[1]
    listed = first["contacts"] + second["contacts"]
    assert {c["name"] for c in listed} == {"Acme Tools", "Globex", "Only In Inventory"}
    origins = {c["name"]: c["origin"] for c in listed}
    assert origins["Acme Tools"] == "crm" and origins["Only In Inventory"] == "inventory"
    assert all(c["crm_id"] and c["inventory_contact_id"] for c in listed)
    assert api("GET", base, query={"source": "crm", "type": "vendor"})[1]["contacts"] == []
    assert api("GET", base, query={"source": "inventory"})[0] == 422


def test_search_finds_crm_records_by_name_and_marks_imported_ones(env, api):
    env.sync(Module.CUSTOMERS)
    base = f"/integrations/{env.integration_id}/crm/search"
    accounts = api("GET", base, query={"module": "accounts", "name": "acme"})[1]["records"]
    assert [(r["module"], r["name"], bool(r["inventory_contact_id"])) for r in accounts] == [
        ("accounts", "Acme Tools", True), ("contacts", "Grace Hopper", False)]
    [ada] = api("GET", base, query={"module": "contacts", "first_name": "Ada", "last_name": "Love"})[1]["records"]
    assert (ada["name"], ada["inventory_contact_id"]) == ("Ada Lovelace", None)
    vendors = api("GET", base, query={"module": "vendors", "name": "Parts"})[1]["records"]
    assert [v["name"] for v in vendors] == ["Parts & Co"]
    status, error = api("GET", base, query={"module": "accounts", "name": "a"})
    assert status == 422 and error["error"]["details"]["fields"][0]["field"] == "name"


def test_an_account_search_lists_each_account_with_its_contacts_to_import_from(env, api):
    """W2: searching an account also lists its contacts (the seed's Advanced Customer Search)."""
    base = f"/integrations/{env.integration_id}"
    found = api("GET", f"{base}/crm/search", query={"module": "accounts", "name": "o"})
    assert found[0] == 422  # one letter is too short for the CRM's search
    found = api("GET", f"{base}/crm/search", query={"module": "accounts", "name": "Tools"})[1]["records"]
    acme, grace = found
    assert (acme["module"], acme["name"], acme["account_crm_id"]) == ("accounts", "Acme Tools", None)
    assert (grace["module"], grace["name"], grace["account_crm_id"]) == ("contacts", "Grace Hopper", acme["crm_id"])
    assert grace["values"]["Account_Name"]["id"] == acme["crm_id"]
    globex = api("GET", f"{base}/crm/search", query={"module": "accounts", "name": "Globex"})[1]["records"]
    assert [(r["module"], r["name"]) for r in globex] == [("accounts", "Globex")]  # an account without contacts

    status, imported = api("POST", f"{base}/crm/import", {"module": grace["module"], "crm_id": grace["crm_id"]})
    assert status == 200 and imported["contact"]["contact_name"] == "Grace Hopper"
    again = api("GET", f"{base}/crm/search", query={"module": "accounts", "name": "Tools"})[1]["records"]
    assert [r["inventory_contact_id"] for r in again] == [None, imported["contact"]["contact_id"]]


@pytest.mark.parametrize(
    ("module", "name", "contact_type", "sub_type"),
    [("contacts", "Ada Lovelace", "customer", "individual"), ("vendors", "Parts & Co", "vendor", None),
     ("accounts", "Globex", "customer", "business")],
)
def test_import_creates_the_contact_once_however_often_it_is_asked(env, api, module, name, contact_type, sub_type):
    search_by = {"first_name": "Ada"} if module == "contacts" else {"name": name[:5]}
    [found] = api("GET", f"/integrations/{env.integration_id}/crm/search", query={"module": module, **search_by})[1][
        "records"]
    body = {"module": module, "crm_id": found["crm_id"]}
    status, imported = api("POST", f"/integrations/{env.integration_id}/crm/import", body)
    assert status == 200 and imported["contact"]["contact_name"] == name
    assert (imported["contact"]["contact_type"], imported["contact"]["customer_sub_type"] if sub_type else None) == (
        contact_type, sub_type)
    again = api("POST", f"/integrations/{env.integration_id}/crm/import", body)[1]
    assert again["contact"]["contact_id"] == imported["contact"]["contact_id"]
    same_name = [c for c in env.inventory_contacts(contact_type) if c["contact_name"] == name]
    assert len(same_name) == 1


def test_import_answers_404_for_an_unknown_crm_record(env, api):
    status, _ = api("POST", f"/integrations/{env.integration_id}/crm/import", {"module": "accounts", "crm_id": "999"})
    assert status == 404
