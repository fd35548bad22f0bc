"""The first sync of the demo presets (M1-M4, M9), each customer source, vendors and items, every
duplicate policy, fetch-only: run through the queue step by step against both sandboxes over HTTP.

The demo presets share names (`local/sandboxes/demo_collisions.py`), some in another case or with
extra whitespace, so each policy meets real duplicates.
"""

from __future__ import annotations

from collections import Counter

import pytest

from crmsync.domain.models import CrmSource, Direction, DuplicatePolicy, Module, ModuleStatus, Role, RunStatus
from crmsync.domain.sync.matching import normalize_name
from local.sandboxes.demo_collisions import COLLIDING_CUSTOMERS, COLLIDING_ITEMS, COLLIDING_VENDORS
from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

COLLIDING = {normalize_name(name) for name in COLLIDING_CUSTOMERS}


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    return SyncEnv.connect(aws, sandboxes)


def names(records: list[dict], key: str) -> Counter:
    return Counter(normalize_name(r.get(key)) for r in records)


def writes(calls: dict[str, int]) -> int:
    return sum(n for call, n in calls.items() if call.split()[0] in {"POST", "PUT", "DELETE"} and "oauth" not in call)


def test_first_sync_of_accounts_pairs_every_account_once_when_two_way_and_skip(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.SKIP)
    run = env.sync(Module.CUSTOMERS)
    assert (run.status, run.trigger.value, env.failures(run)) == (RunStatus.DONE, "manual", [])
    assert (run.counts.added, run.counts.failed) == (38 + 6, 0)  # CRM -> inventory, business customers -> CRM
    accounts = names(env.crm_records("Accounts", ["Account_Name"]), "Account_Name")
    customers = [c for c in env.inventory_contacts() if c["customer_sub_type"] == "business"]
    businesses = names(customers, "contact_name")
    assert set(accounts) == set(businesses) and max(accounts.values()) == max(businesses.values()) == 1
    mappings = env.mappings(Module.CUSTOMERS)
    assert len(mappings) == 44 and not {normalize_name(m.base.get("contact_name")) for m in mappings} & COLLIDING
    individuals = [c for c in env.inventory_contacts() if c["customer_sub_type"] == "individual"]
    assert len(individuals) == 6  # the Accounts source leaves individual customers alone
    assert {m.record_kind for m in mappings} == {"account"}
    module = env.store.get_module(env.integration_id, Module.CUSTOMERS)
    assert (module.status, module.last_run_id, module.last_run_counts) == (ModuleStatus.DONE, run.run_id, run.counts)


def test_sync_with_nothing_changed_writes_nothing_when_run_again(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    env.sync(Module.CUSTOMERS)
    crm_before, inventory_before = env.calls()
    again = env.sync(Module.CUSTOMERS)
    crm_after, inventory_after = env.calls()
    crm_calls, inventory_calls = crm_after - crm_before, inventory_after - inventory_before
    assert (again.counts.added, again.counts.updated, again.counts.failed) == (0, 0, 0)
    assert writes(crm_calls) == writes(inventory_calls) == 0
    assert crm_calls["GET /crm/v8/{module}"] == 1 and inventory_calls["GET /inventory/v1/contacts"] == 1


def test_first_sync_of_contacts_creates_individual_customers_when_source_is_contacts(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.CONTACTS)
    run = env.sync(Module.CUSTOMERS)
    assert run.status is RunStatus.DONE and env.failures(run) == []
    contacts = env.crm_records("Contacts", ["First_Name", "Last_Name", "Full_Name"])
    individuals = [c for c in env.inventory_contacts() if c["customer_sub_type"] == "individual"]
    assert len(contacts) == 94 + 6 and len(individuals) == 6 + 94  # both ways, individuals only
    kinds = Counter(m.record_kind for m in env.mappings(Module.CUSTOMERS))
    assert kinds == {"contact": 100}


@pytest.mark.parametrize("orphans", [False, True])
def test_first_sync_of_accounts_and_contacts_brings_contact_persons_and_orphans_only_when_chosen(env, orphans):
    env.configure(
        Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS_AND_CONTACTS, include_unassociated_contacts=orphans
    )
    run = env.sync(Module.CUSTOMERS)
    assert run.status is RunStatus.DONE and env.failures(run) == []
    mappings = env.mappings(Module.CUSTOMERS)
    kinds = Counter(m.record_kind for m in mappings)
    assert kinds["account"] == 44
    assert kinds["contact"] == (10 + 6 if orphans else 0)  # orphan CRM contacts, individual customers
    contacts = env.crm_records("Contacts", ["Last_Name", "Account_Name"])
    of_synced_accounts = {
        c["id"] for c in contacts if c["Account_Name"] and normalize_name(c["Account_Name"]["name"]) not in COLLIDING
    }
    persons = {m.crm_id for m in mappings if m.record_kind == "person"}
    assert of_synced_accounts <= persons  # the contacts of skipped duplicates wait for their account
    mapping = next(m for m in mappings if m.record_kind == "person")
    contact_id, person_id = mapping.inventory_id.split("/")
    persons = env.clients.inventory.list_contact_persons(contact_id)
    assert person_id in {p.id for p in persons}
    crm_contact = env.clients.crm.get_record("Contacts", mapping.crm_id, ["Last_Name", "Account_Name"])
    parent = env.store.get_mapping(env.integration_id, Module.CUSTOMERS, env.inventory_side, contact_id)
    assert parent is not None and crm_contact.values["Account_Name"]["id"] == parent.crm_id


def test_first_sync_of_vendors_creates_vendor_contacts_and_skips_duplicates(env):
    env.configure(Module.VENDORS, duplicates=DuplicatePolicy.SKIP)
    run = env.sync(Module.VENDORS)
    assert run.status is RunStatus.DONE and env.failures(run) == []
    vendors = names(env.inventory_contacts("vendor"), "contact_name")
    crm_vendors = names(env.crm_records("Vendors", ["Vendor_Name"]), "Vendor_Name")
    assert set(vendors) == set(crm_vendors) and max(vendors.values()) == 1
    assert run.counts.added == (12 - 2) + (6 - 2)
    assert not {normalize_name(m.base.get("contact_name")) for m in env.mappings(Module.VENDORS)} & {
        normalize_name(n) for n in COLLIDING_VENDORS
    }


def test_first_sync_of_items_matches_name_and_sku_and_pushes_inventory_first(env):
    env.configure(Module.ITEMS, duplicates=DuplicatePolicy.OVERWRITE)
    run = env.sync(Module.ITEMS)
    assert run.status is RunStatus.DONE
    assert env.failures(run) == []
    linked = {normalize_name(m.base.get("name")) for m in env.mappings(Module.ITEMS)}
    assert {normalize_name(item.name) for item in COLLIDING_ITEMS} <= linked
    items = names(env.inventory_items(), "name")
    assert max(items.values()) == 1
    assert run.counts.updated == len(COLLIDING_ITEMS)  # overwrite: the CRM product replaced the item


def test_overwrite_links_the_duplicates_and_gives_them_the_crm_values(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.OVERWRITE)
    run = env.sync(Module.CUSTOMERS)
    assert run.counts.updated == 3 and env.failures(run) == []
    linked = {normalize_name(m.base.get("contact_name")): m for m in env.mappings(Module.CUSTOMERS)}
    assert COLLIDING <= set(linked)
    for name in COLLIDING:
        contact = env.clients.inventory.get_contact(linked[name].inventory_id).values
        account = env.clients.crm.get_record("Accounts", linked[name].crm_id, ["Account_Name"]).values
        # "SOCIÉTÉ GÉNÉRALE" became the CRM's "Société Générale"; surrounding whitespace is no change
        assert contact["contact_name"].strip() == account["Account_Name"]
    assert max(names(env.inventory_contacts(), "contact_name").values()) == 1


def test_clone_keeps_both_records_and_reports_what_the_crm_refuses(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.CLONE)
    run = env.sync(Module.CUSTOMERS)
    businesses = names([c for c in env.inventory_contacts() if c["customer_sub_type"] == "business"], "contact_name")
    assert all(businesses[name] == 2 for name in COLLIDING)  # the CRM's copy and the inventory's own
    failures = env.failures(run)
    # the inventory's own twin cannot be pushed: the CRM keeps account names unique
    assert len(failures) == 3 and all("same Account_Name exists" in f.reason for f in failures)
    assert run.counts.failed == 3 and run.status is RunStatus.DONE


@pytest.mark.parametrize("role", [Role.PRIMARY, Role.SECONDARY])
def test_fetch_only_never_writes_to_the_crm(aws, sandboxes, role):  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, role=role)
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, direction=Direction.FETCH_FROM_CRM)
    run = env.sync(Module.CUSTOMERS)
    assert run.status is RunStatus.DONE and run.counts.added == 38
    assert writes(env.calls()[0]) == 0
    assert {m.origin.value for m in env.mappings(Module.CUSTOMERS)} == {"crm"}
