"""The table of CRM module facts (`crmsync.domain.crm_modules`) is complete and agrees with itself,
with the default field map, with the record kinds, and with routing."""

from __future__ import annotations

import pytest

from crmsync.domain.crm_modules import (
    CRM_MODULES,
    TIMES,
    CrmModule,
    crm_module_of_kind,
    inventory_name,
    partner_id_field,
    read_by,
    sync_module_of,
)
from crmsync.domain.field_catalog import (
    DEFAULT_FIELD_MAP,
    INVENTORY_ENTITY,
    INVENTORY_STANDARD_FIELDS,
    crm_modules,
    default_map,
)
from crmsync.domain.models import CrmSource, Module, ModuleSettings, ModuleViews, Side
from crmsync.domain.sync.canonical import resolve_context, to_crm_payload
from crmsync.domain.sync.field_views import view_of
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.routing import route_reason

MODULES = list(CRM_MODULES.values())
CUSTOMER_SOURCES = list(CrmSource)


def context(module: Module, source: CrmSource | None, **settings) -> PlanContext:
    return resolve_context("int-1", module, ModuleSettings(crm_source=source, **settings), 1, True)


def reading(module: CrmModule) -> PlanContext:
    """A context of the module's sync module whose source reads `module` (all its kinds for Contacts)."""
    source = CrmSource.ACCOUNTS_AND_CONTACTS if module.sync_module is Module.CUSTOMERS else None
    return context(module.sync_module, source, include_unassociated_contacts=source is not None)


def default_pairs(module: CrmModule) -> set[tuple[str, str]]:
    return {(p.crm, p.inventory) for p in DEFAULT_FIELD_MAP if p.crm_module == module.name}


# ------------------------------------------------------------------ the table itself
def test_modules_are_keyed_by_their_api_name_in_a_fixed_order():
    # The order is the order of webhook events, of `views` rules and of the customer modules read.
    assert list(CRM_MODULES) == ["Accounts", "Contacts", "Vendors", "Products"]
    assert all(name == module.name for name, module in CRM_MODULES.items())
    assert [m.key for m in MODULES] == ["accounts", "contacts", "vendors", "products"]


def test_every_record_kind_lives_in_exactly_one_crm_module():
    kinds = [kind for m in MODULES for kind in m.kinds]
    assert sorted(kinds) == sorted(RecordKind)
    for module in MODULES:
        for kind in module.kinds:
            assert crm_module_of_kind(kind) is module
    assert crm_module_of_kind(RecordKind.PERSON).name == "Contacts"
    assert crm_module_of_kind(RecordKind.PERSON).person_kind is RecordKind.PERSON


def test_every_sync_module_syncs_at_least_one_crm_module():
    assert {m.sync_module for m in MODULES} == set(Module)
    for name, module in CRM_MODULES.items():
        assert sync_module_of(name) is module.sync_module
    assert sync_module_of("Deals") is None
    assert sync_module_of("accounts") is None  # API names only


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_the_name_and_every_field_the_runtime_reads_itself_are_always_read(module: CrmModule):
    always = module.always_read
    assert len(always) == len(set(always))
    assert module.name_field in always
    assert module.display_field in always
    assert set(TIMES) <= set(always)
    assert module.read_only <= set(always)
    if module.match_code is not None:
        assert module.match_code[0] in always


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_the_required_name_is_one_the_service_may_write(module: CrmModule):
    assert module.name_field not in module.read_only
    assert module.name_label and module.name_label == module.name_label.lower()


def test_the_facts_the_vendors_see_are_unchanged():
    # Sent on every CRM list or create and stored in inventory records: changing one is a migration.
    assert {m.name: m.always_read for m in MODULES} == {
        "Accounts": ("Account_Name", "Modified_Time", "Created_Time"),
        "Contacts": ("First_Name", "Last_Name", "Full_Name", "Account_Name", "Modified_Time", "Created_Time"),
        "Vendors": ("Vendor_Name", "Modified_Time", "Created_Time"),
        "Products": ("Product_Name", "Product_Code", "Modified_Time", "Created_Time"),
    }
    assert {m.name: m.name_field for m in MODULES} == {
        "Accounts": "Account_Name",
        "Contacts": "Last_Name",
        "Vendors": "Vendor_Name",
        "Products": "Product_Name",
    }
    assert {m.name: m.match_code for m in MODULES if m.match_code} == {"Products": ("Product_Code", "sku")}
    assert {kind: partner_id_field(kind) for kind in RecordKind} == {
        RecordKind.ACCOUNT: "zcrm_account_id",
        RecordKind.CONTACT: "zcrm_contact_id",
        RecordKind.PERSON: None,
        RecordKind.VENDOR: "zcrm_vendor_id",
        RecordKind.PRODUCT: "zcrm_product_id",
    }


def test_partner_ids_and_inventory_names_belong_to_records_of_their_own():
    fields = [m.partner_id_field for m in MODULES]
    assert len(fields) == len(set(fields))
    for module in MODULES:
        assert partner_id_field(module.record_kind) == module.partner_id_field
        assert inventory_name(module.record_kind) == module.inventory_name
        if module.person_kind is not None:
            assert partner_id_field(module.person_kind) is None
            assert inventory_name(module.person_kind) is None


# ------------------------------------------------------------------ routing (M1)
def test_each_customer_source_reads_the_modules_it_names():
    assert read_by(Module.CUSTOMERS, CrmSource.ACCOUNTS) == ("Accounts",)
    assert read_by(Module.CUSTOMERS, CrmSource.CONTACTS) == ("Contacts",)
    assert read_by(Module.CUSTOMERS, CrmSource.ACCOUNTS_AND_CONTACTS) == ("Accounts", "Contacts")
    assert read_by(Module.CUSTOMERS, None) == ("Accounts", "Contacts")
    assert read_by(Module.VENDORS, None) == ("Vendors",)
    assert read_by(Module.ITEMS, None) == ("Products",)
    for module in Module:
        for source in (None, *CrmSource):
            assert crm_modules(module, source) == read_by(module, source)


def test_customer_sources_are_given_exactly_for_customer_modules():
    for module in MODULES:
        assert bool(module.customer_sources) is (module.sync_module is Module.CUSTOMERS)
    for source in CrmSource:
        assert read_by(Module.CUSTOMERS, source), source


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
@pytest.mark.parametrize("side", list(Side))
def test_routing_keeps_each_kind_in_its_crm_modules_sync_module(module: CrmModule, side: Side):
    for kind in module.kinds:
        record = SourceRecord(side=side, kind=kind, id="1", values={}, parent_id="p", linked_parent_id="q")
        assert route_reason(reading(module), record) is None, kind
        for other in Module:
            if other is not module.sync_module:
                source = CrmSource.ACCOUNTS_AND_CONTACTS if other is Module.CUSTOMERS else None
                assert route_reason(context(other, source), record) is not None, (kind, other)


@pytest.mark.parametrize("source", CUSTOMER_SOURCES)
def test_a_customer_source_that_does_not_read_a_module_syncs_none_of_its_kinds(source: CrmSource):
    both = source is CrmSource.ACCOUNTS_AND_CONTACTS
    ctx = context(Module.CUSTOMERS, source, include_unassociated_contacts=both)
    for module in MODULES:
        if module.sync_module is not Module.CUSTOMERS or module.name in read_by(Module.CUSTOMERS, source):
            continue
        for kind in module.kinds:
            record = SourceRecord(side=Side.CRM, kind=kind, id="1", values={}, parent_id="p")
            assert route_reason(ctx, record) is not None, (source, kind)


# ------------------------------------------------------------------ the field catalog
def test_default_pairs_belong_to_a_known_module_and_its_sync_module():
    for pair in DEFAULT_FIELD_MAP:
        assert pair.crm_module in CRM_MODULES, pair
        assert pair.module is CRM_MODULES[pair.crm_module].sync_module, pair


def test_one_inventory_entity_per_sync_module():
    for module in MODULES:
        assert INVENTORY_ENTITY[module.sync_module] == module.inventory_entity
        assert module.inventory_entity in INVENTORY_STANDARD_FIELDS


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_the_default_map_carries_the_names_and_the_match_code(module: CrmModule):
    pairs = default_pairs(module)
    crm_fields = {crm for crm, _ in pairs}
    standard = {f.name for f in INVENTORY_STANDARD_FIELDS[module.inventory_entity]}
    path, _ = module.inventory_name
    assert path in standard
    assert (module.display_field, path) in pairs  # the name matched on both sides (M4)
    assert module.name_field in crm_fields  # a CRM create can be given its mandatory name
    if module.match_code is not None:
        assert module.match_code in pairs
        assert module.match_code[1] in standard
    assert all(inventory in standard for _, inventory in pairs)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_a_crm_create_from_the_default_map_sets_the_required_name(module: CrmModule):
    ctx = reading(module)
    kind = module.record_kind
    view = view_of(ctx, kind)
    assert view.crm_module == module.name
    filled = {path: "Name" for path in view.crm_writable}
    payload = to_crm_payload(ctx, kind, filled)
    assert payload.get(module.name_field) == "Name"
    assert not set(payload) & module.read_only


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_the_default_map_reads_each_module_only_where_its_sync_module_does(module: CrmModule):
    for source in (None, *CrmSource):
        read = crm_modules(module.sync_module, source)
        in_map = any(p.crm_module == module.name for p in default_map(module.sync_module, source))
        assert in_map is (module.name in read)


# ------------------------------------------------------------------ W2 and module views
def test_views_keys_are_the_module_keys():
    assert set(ModuleViews.model_fields) == {m.key for m in MODULES}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_importable_modules_are_searched_by_and_show_their_names(module: CrmModule):
    assert bool(module.search_fields) is module.importable
    if not module.importable:
        return
    fields = module.search_fields
    assert len(fields) == len(set(fields))
    assert module.name_field in fields  # searched by
    assert module.display_field in fields  # shown as the result's name
    assert module.inventory_entity == "contacts"  # an import creates an inventory contact
