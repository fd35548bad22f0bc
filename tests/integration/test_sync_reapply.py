"""S7 re-apply on edit: preferences saved through the module route after the first sync reach the
records synced before, on the next run, against both sandboxes over HTTP."""

from __future__ import annotations

from collections import Counter

import pytest

from crmsync.api.app import create_resolver, resolve
from crmsync.api.routers import modules as module_routes
from crmsync.domain.models import CrmSource, Direction, DuplicatePolicy, Module, Side
from tests.conftest import ApiClient
from tests.integration.test_sync_changes import after_a_second, writes
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)

REGION = {
    "Accounts": [
        {
            "api_name": "Region__c",
            "data_type": "picklist",
            "pick_list_values": ["North", "South", "East", "West"],
        }
    ]
}
LONG_AGO = {"Created_Time": "2025-06-01T09:00:00+00:00", "Modified_Time": "2025-06-01T09:00:00+00:00"}
WINDS = [  # changed long before the first sync: a run reading changes only would not read them again
    {"Account_Name": "Nordwind", "Region__c": "North", **LONG_AGO},  # no region in inventory: written there
    {"Account_Name": "Suedwind", "Region__c": "South", **LONG_AGO},  # inventory has South already: kept
    {"Account_Name": "Ostwind", **LONG_AGO},  # no region on either side: not written
    {"Account_Name": "Westwind", **LONG_AGO},  # only the inventory has one (West): written to the CRM
]
REGION_MAP = [{"crm": "Region__c", "inventory": "cf_region"}]
FULL_CONTACT_READ = "GET /inventory/v1/contacts/{contact_id}"
ONE_CRM_RECORD = "GET /crm/v8/{module}/{id}"


def api_for(env: SyncEnv) -> ApiClient:
    app = create_resolver(module_routes.router)

    def handler(event, context):
        app.append_context(deps=env.container.deps)
        return resolve(app, event, context)

    return ApiClient(handler, TENANT)


def save(api: ApiClient, env: SyncEnv, body: dict) -> dict:
    status, saved = api("PUT", f"/integrations/{env.integration_id}/modules/customers", body)
    assert status == 200, saved
    return saved


def status_of(api: ApiClient, env: SyncEnv) -> dict:
    return api("GET", f"/integrations/{env.integration_id}/modules/customers")[1]


def region(env: SyncEnv, contact_id: str) -> str | None:
    return env.clients.inventory.get_contact(contact_id).values.get("custom_field_hash", {}).get("cf_region")


def pair(env: SyncEnv, name: str):
    return next(m for m in env.mappings(Module.CUSTOMERS) if m.base.get("contact_name") == name)


def synced_winds(aws, sandboxes, direction: Direction = Direction.TWO_WAY) -> SyncEnv:  # noqa: F811
    env = SyncEnv.connect(
        aws, sandboxes, crm={"custom_fields": REGION, "records": {"Accounts": WINDS}}, inventory={}
    )
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, direction=direction)
    assert env.sync(Module.CUSTOMERS).counts.added == 4
    return env


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    return synced_winds(aws, sandboxes)


def test_s7_a_field_mapped_after_the_first_sync_writes_exactly_the_records_whose_value_differs(env):
    api = api_for(env)
    after_a_second()
    for name, value in (("Suedwind", "South"), ("Westwind", "West")):
        env.clients.inventory.update_contact(
            pair(env, name).inventory_id, {"custom_fields": [{"api_name": "cf_region", "value": value}]}
        )
    unchanged = save(api, env, {"crm_source": "accounts", "version": 1})
    assert unchanged["reapply_pending"] is False  # saved as it was: nothing to re-apply
    saved = save(api, env, {"crm_source": "accounts", "field_map": REGION_MAP, "version": 2})
    assert saved["reapply_pending"] is True and status_of(api, env)["reapply_pending"] is True

    before = env.calls()
    run = env.sync(Module.CUSTOMERS)
    crm_calls, inventory_calls = (after - earlier for after, earlier in zip(env.calls(), before, strict=True))
    assert (run.counts.updated, run.counts.added, run.counts.failed) == (2, 0, 0)
    assert writes(inventory_calls) == {"PUT /inventory/v1/contacts/{contact_id}": 1}
    assert writes(crm_calls) == {"PUT /crm/v8/{module}": 1}
    assert inventory_calls[FULL_CONTACT_READ] == 4  # each pair's contact read in full once, not per pass
    assert crm_calls[ONE_CRM_RECORD] == 0  # every account came from one full listing of the CRM
    assert region(env, pair(env, "Nordwind").inventory_id) == "North"
    assert region(env, pair(env, "Ostwind").inventory_id) is None
    westwind = env.clients.crm.get_record("Accounts", pair(env, "Westwind").crm_id, ["Region__c"])
    assert westwind.values["Region__c"] == "West"
    assert status_of(api, env)["reapply_pending"] is False

    before = env.calls()
    quiet = env.sync(Module.CUSTOMERS)  # back to reading changes only: our own writes come back as echoes
    crm_calls, inventory_calls = (after - earlier for after, earlier in zip(env.calls(), before, strict=True))
    assert (quiet.counts.updated, quiet.counts.added) == (0, 0)
    assert writes(crm_calls) == writes(inventory_calls) == Counter()
    assert inventory_calls[FULL_CONTACT_READ] == 0


def test_s7_duplicates_skipped_before_are_linked_when_the_policy_becomes_overwrite(aws, sandboxes):  # noqa: F811
    crm = {"records": {"Accounts": [{"Account_Name": "Dup Co", "Billing_City": "Berlin"}]}}
    inventory = {"contacts": [{"contact_name": " dup co", "contact_type": "customer"}]}
    env = SyncEnv.connect(aws, sandboxes, crm=crm, inventory=inventory)
    api = api_for(env)
    save(api, env, {"crm_source": "accounts", "duplicates": "skip"})
    first = env.sync(Module.CUSTOMERS)
    assert (first.counts.added, env.mappings(Module.CUSTOMERS)) == (0, [])  # matched, skipped, not linked
    assert save(api, env, {"crm_source": "accounts", "duplicates": "overwrite", "version": 1})[
        "reapply_pending"
    ]

    run = env.sync(Module.CUSTOMERS)
    assert (run.counts.updated, run.counts.added, run.counts.failed) == (1, 0, 0)
    [linked] = env.mappings(Module.CUSTOMERS)
    [contact] = env.inventory_contacts()
    assert linked.inventory_id == contact["contact_id"]
    assert (
        env.clients.inventory.get_contact(contact["contact_id"]).values["billing_address"]["city"] == "Berlin"
    )
    assert len(env.crm_records("Accounts", ["Account_Name"])) == 1
    assert status_of(api, env)["reapply_pending"] is False


def test_s7_a_change_saved_while_a_run_goes_stays_pending_for_the_next_run(env):
    api = api_for(env)
    save(api, env, {"crm_source": "accounts", "duplicates": DuplicatePolicy.OVERWRITE.value, "version": 1})
    env.start(Module.CUSTOMERS)
    env.pump(steps=1)  # the run took version 2's settings and re-applies them
    save(api, env, {"crm_source": "accounts", "field_map": REGION_MAP, "version": 2})
    env.pump()
    assert status_of(api, env)["reapply_pending"] is True  # version 3 is not what that run applied
    nordwind = pair(env, "Nordwind")
    assert region(env, nordwind.inventory_id) is None
    env.sync(Module.CUSTOMERS)
    assert region(env, nordwind.inventory_id) == "North"
    assert status_of(api, env)["reapply_pending"] is False
    mapping = env.store.get_mapping(env.integration_id, Module.CUSTOMERS, Side.CRM, nordwind.crm_id)
    assert mapping.settings_version == 3


def test_s7_a_fetch_only_module_reads_the_crm_in_full_once_to_apply_a_new_mapping(aws, sandboxes):  # noqa: F811
    env = synced_winds(aws, sandboxes, Direction.FETCH_FROM_CRM)  # the inventory side is only indexed
    api = api_for(env)
    body = {"crm_source": "accounts", "direction": "fetch_from_crm", "field_map": REGION_MAP, "version": 1}
    assert save(api, env, body)["reapply_pending"] is True
    before = env.calls()
    run = env.sync(Module.CUSTOMERS)
    crm_calls, inventory_calls = (after - earlier for after, earlier in zip(env.calls(), before, strict=True))
    assert (run.counts.updated, run.counts.failed) == (2, 0)  # Nordwind and Suedwind have a region
    assert (
        writes(inventory_calls) == {"PUT /inventory/v1/contacts/{contact_id}": 2} and writes(crm_calls) == {}
    )
    assert [region(env, pair(env, name).inventory_id) for name in ("Nordwind", "Suedwind", "Ostwind")] == [
        "North",
        "South",
        None,
    ]
    assert env.sync(Module.CUSTOMERS).counts.updated == 0 and status_of(api, env)["reapply_pending"] is False
