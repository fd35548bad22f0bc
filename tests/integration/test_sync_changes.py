"""Incremental runs after the first sync: edits both ways, conflicts, deletes (S8), a view (M5) and a
custom-field mapping (M6), against both sandboxes over HTTP."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from crmsync.domain.models import CrmSource, FieldPair, Module, ModuleViews, RunStatus, Side
from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

ACCOUNTS = [
    {"Account_Name": "Acme Tools", "Phone": "+49 30 1", "Billing_City": "Berlin", "Website": "https://acme.example"},
    {"Account_Name": "Globex", "Phone": "+49 40 2", "Billing_City": "Hamburg"},
]


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm={"records": {"Accounts": ACCOUNTS}}, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    first = env.sync(Module.CUSTOMERS)
    assert first.counts.added == 2
    return env


def linked(env: SyncEnv, name: str):
    return next(m for m in env.mappings(Module.CUSTOMERS) if m.base.get("contact_name") == name)


def writes(calls: Counter) -> Counter:
    return Counter({c: n for c, n in calls.items() if c.split()[0] in {"POST", "PUT"} and "oauth" not in c})


def after_a_second() -> None:
    """Both sandboxes stamp changes to the second: an edit in the second of our own write would
    look like that write."""
    time.sleep(1.05)


def test_crm_edit_reaches_inventory_with_exactly_one_write(env):
    acme = linked(env, "Acme Tools")
    env.clients.crm.update_records("Accounts", [{"id": acme.crm_id, "Billing_City": "Potsdam"}])
    before = env.calls()
    run = env.sync(Module.CUSTOMERS)
    crm_calls, inventory_calls = (after - earlier for after, earlier in zip(env.calls(), before, strict=True))
    assert run.counts.updated == 1 and run.counts.failed == 0
    assert env.clients.inventory.get_contact(acme.inventory_id).values["billing_address"]["city"] == "Potsdam"
    assert writes(crm_calls) == {} and writes(inventory_calls) == {"PUT /inventory/v1/contacts/{contact_id}": 1}
    quiet = env.sync(Module.CUSTOMERS)  # our own write comes back as a change: an echo, dropped
    assert (quiet.counts.updated, quiet.counts.added) == (0, 0)


def test_inventory_edit_reaches_the_crm_and_does_not_echo_back(env):
    globex = linked(env, "Globex")
    after_a_second()
    env.clients.inventory.update_contact(globex.inventory_id, {"website": "https://globex.example"})
    before = env.calls()
    run = env.sync(Module.CUSTOMERS)
    crm_calls, inventory_calls = (after - earlier for after, earlier in zip(env.calls(), before, strict=True))
    assert run.counts.updated == 1
    assert env.clients.crm.get_record("Accounts", globex.crm_id).values["Website"] == "https://globex.example"
    assert writes(crm_calls) == {"PUT /crm/v8/{module}": 1} and writes(inventory_calls) == {}
    assert env.sync(Module.CUSTOMERS).counts.updated == 0


def test_edits_to_different_fields_on_both_sides_merge_and_the_crm_wins_the_same_field(env):
    acme = linked(env, "Acme Tools")
    after_a_second()
    env.clients.inventory.update_contact(
        acme.inventory_id, {"website": "https://tools.example", "billing_address": {"city": "Spandau"}}
    )
    env.clients.crm.update_records("Accounts", [{"id": acme.crm_id, "Phone": "+49 30 999", "Billing_City": "Mitte"}])
    run = env.sync(Module.CUSTOMERS)
    assert run.counts.conflicts == 1 and run.counts.failed == 0
    account = env.clients.crm.get_record("Accounts", acme.crm_id).values
    contact = env.clients.inventory.get_contact(acme.inventory_id).values
    assert (account["Website"], account["Phone"], account["Billing_City"]) == (
        "https://tools.example", "+49 30 999", "Mitte")
    assert (contact["website"], contact["billing_address"]["phone"], contact["billing_address"]["city"]) == (
        "https://tools.example", "+49 30 999", "Mitte")


def test_record_deleted_in_the_crm_is_kept_in_inventory_and_never_pushed_again(env):
    acme = linked(env, "Acme Tools")
    env.clients.crm.delete_records("Accounts", [acme.crm_id])
    run = env.sync(Module.CUSTOMERS)
    assert run.counts.deleted_in_crm_kept == 1 and run.counts.added == run.counts.updated == 0
    mapping = env.store.get_mapping(env.integration_id, Module.CUSTOMERS, Side.CRM, acme.crm_id)
    assert mapping.tombstone_side is Side.CRM
    after_a_second()
    env.clients.inventory.update_contact(acme.inventory_id, {"website": "https://still-here.example"})
    again = env.sync(Module.CUSTOMERS)
    assert env.clients.inventory.get_contact(acme.inventory_id).values["website"] == "https://still-here.example"
    assert (again.counts.added, again.counts.failed) == (0, 0)
    names = [a["Account_Name"] for a in env.crm_records("Accounts", ["Account_Name"])]
    assert names == ["Globex"]


def test_only_records_in_the_view_sync_when_a_view_is_chosen(aws, sandboxes):  # noqa: F811
    accounts = [
        {"Account_Name": "In View", "Account_Type": "Customer", "Billing_Country": "Germany"},
        {"Account_Name": "Elsewhere", "Account_Type": "Customer", "Billing_Country": "France"},
    ]
    env = SyncEnv.connect(aws, sandboxes, crm={"records": {"Accounts": accounts}}, inventory={})
    view = next(v for v in env.clients.crm.list_custom_views("Accounts") if v.name == "Customers in Germany")
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, views=ModuleViews(accounts=view.id))
    run = env.sync(Module.CUSTOMERS)
    assert run.status is RunStatus.DONE and run.counts.added == 1
    assert [c["contact_name"] for c in env.inventory_contacts()] == ["In View"]


def test_custom_field_mapping_carries_a_crm_field_into_an_inventory_custom_field(aws, sandboxes):  # noqa: F811
    crm = {
        "custom_fields": {"Accounts": [{"api_name": "Region__c", "data_type": "picklist",
                                        "pick_list_values": ["North", "South", "East", "West"]}]},
        "records": {"Accounts": [{"Account_Name": "Nordwind", "Region__c": "North"}]},
    }
    env = SyncEnv.connect(aws, sandboxes, crm=crm, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS,
                  field_map=(FieldPair(crm="Region__c", inventory="cf_region"),))
    run = env.sync(Module.CUSTOMERS)
    assert run.counts.added == 1 and env.failures(run) == []
    [contact] = env.inventory_contacts()
    values = env.clients.inventory.get_contact(contact["contact_id"]).values
    assert values["custom_field_hash"]["cf_region"] == "North"


def test_product_deactivated_in_the_crm_deactivates_the_item(aws, sandboxes):  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm={"records": {"Products": [
        {"Product_Name": "Desk lamp", "Product_Code": "DL-1", "Product_Active": True}]}}, inventory={})
    env.configure(Module.ITEMS)
    assert env.sync(Module.ITEMS).counts.added == 1
    [lamp] = env.mappings(Module.ITEMS)
    assert env.clients.inventory.get_item(lamp.inventory_id).values["status"] == "active"
    after_a_second()
    env.clients.crm.update_records("Products", [{"id": lamp.crm_id, "Product_Active": False}])
    run = env.sync(Module.ITEMS)
    assert run.counts.updated == 1 and run.counts.failed == 0
    assert env.clients.inventory.get_item(lamp.inventory_id).values["status"] == "inactive"


def test_a_second_crm_edit_right_after_a_sync_is_applied(env):
    globex = linked(env, "Globex")
    env.clients.crm.update_records("Accounts", [{"id": globex.crm_id, "Billing_City": "Bremen"}])
    env.sync(Module.CUSTOMERS)  # reads the edit; the watermark is now that edit's second
    env.clients.crm.update_records("Accounts", [{"id": globex.crm_id, "Billing_City": "Kiel"}])
    run = env.sync(Module.CUSTOMERS)
    assert run.counts.updated == 1
    assert env.clients.inventory.get_contact(globex.inventory_id).values["billing_address"]["city"] == "Kiel"
