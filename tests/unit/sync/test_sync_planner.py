"""The planner's decisions, rule by rule (features.md M1-M9, S8; sync-correctness.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync.domain.models import (
    CrmSource,
    DuplicatePolicy,
    FieldPair,
    MappingStatus,
    Module,
    ModuleSettings,
    Side,
)
from crmsync.domain.sync.canonical import (
    record_hash,
    resolve_context,
    to_canonical,
    to_crm_payload,
    to_inventory_payload,
)
from crmsync.domain.sync.matching import match_key
from crmsync.domain.sync.model import Decision, Outcome, PlanContext, RecordKind, SourceRecord, WriteKind
from crmsync.domain.sync.planner import FETCH_ONLY, needs_other, pass_order, plan_record
from crmsync.domain.sync_state import Mapping

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def context(module: Module = Module.CUSTOMERS, *, two_way: bool = True, **settings) -> PlanContext:
    custom_kinds = settings.pop("custom_kinds", None)
    if module is Module.CUSTOMERS:
        settings.setdefault("crm_source", CrmSource.ACCOUNTS_AND_CONTACTS)
    return resolve_context("int-1", module, ModuleSettings(**settings), 1, two_way, custom_kinds)


def crm(kind: RecordKind, values: dict, record_id: str = "c1", **extra) -> SourceRecord:
    return SourceRecord(side=Side.CRM, kind=kind, id=record_id, values=values, **extra)


def inv(kind: RecordKind, values: dict, record_id: str = "i1", **extra) -> SourceRecord:
    return SourceRecord(side=Side.INVENTORY, kind=kind, id=record_id, values=values, **extra)


def linked(ctx: PlanContext, crm_record: SourceRecord, inventory_record: SourceRecord, **extra) -> Mapping:
    """The mapping of a pair synced with these values."""
    on_crm, on_inventory = to_canonical(ctx, crm_record), to_canonical(ctx, inventory_record)
    return Mapping(
        integration_id=ctx.integration_id,
        module=ctx.module,
        crm_id=crm_record.id,
        inventory_id=inventory_record.id,
        record_kind=crm_record.kind.value,
        base={k: v for k, v in on_crm.items() if v is not None},
        crm_hash=record_hash(on_crm),
        inventory_hash=record_hash(on_inventory),
        **extra,
    )


def plan(ctx, record, mapping=None, other=None, candidates=()) -> Decision:
    return plan_record(ctx, record, mapping, other, list(candidates))


def only_write(decision: Decision):
    assert len(decision.writes) == 1, decision.writes
    return decision.writes[0]


ACME_CRM = {"Account_Name": "Acme", "Phone": "111", "Billing_City": "Oslo", "Website": "acme.no"}
ACME_INV = {
    "contact_name": "Acme",
    "company_name": "Acme",
    "website": "acme.no",
    "billing_address": {"city": "Oslo", "phone": "111"},
    "customer_sub_type": "business",
}


# ------------------------------------------------------------------ M1 customer source
def test_crm_account_becomes_business_customer_when_source_is_accounts():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    decision = plan(ctx, crm(RecordKind.ACCOUNT, ACME_CRM, modified=T0))
    write = only_write(decision)
    assert decision.outcome is Outcome.ADDED
    assert (write.side, write.kind) == (Side.INVENTORY, WriteKind.CREATE)
    payload = to_inventory_payload(ctx, write.record_kind, write.changes, None)
    assert payload["customer_sub_type"] == "business" and payload["contact_name"] == "Acme"
    assert payload["billing_address"] == {"city": "Oslo", "phone": "111"}
    claim = decision.mapping
    assert claim.status is MappingStatus.PENDING and claim.claim_side is Side.CRM and claim.crm_id == "c1"
    assert claim.origin is Side.CRM and claim.record_kind == "account" and claim.crm_modified == T0
    assert claim.crm_hash == claim.inventory_hash and claim.base["contact_name"] == "Acme"


def test_crm_contact_becomes_individual_customer_when_source_is_contacts():
    ctx = context(crm_source=CrmSource.CONTACTS)
    decision = plan(
        ctx, crm(RecordKind.CONTACT, {"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@x.org"})
    )
    payload = to_inventory_payload(ctx, RecordKind.CONTACT, only_write(decision).changes, None)
    assert payload["customer_sub_type"] == "individual" and payload["contact_name"] == "Ada Lovelace"
    assert payload["contact_persons"] == [
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.org", "is_primary_contact": True}
    ]


@pytest.mark.parametrize(
    ("source", "record"),
    [
        (CrmSource.CONTACTS, crm(RecordKind.ACCOUNT, ACME_CRM)),
        (CrmSource.ACCOUNTS, crm(RecordKind.CONTACT, {"Last_Name": "Lovelace"})),
        (
            CrmSource.ACCOUNTS,
            crm(RecordKind.PERSON, {"Last_Name": "Ek"}, parent_id="a1", linked_parent_id="i9"),
        ),
        (CrmSource.ACCOUNTS, inv(RecordKind.CONTACT, {"contact_name": "Ada"})),
    ],
)
def test_record_outside_customer_source_is_skipped(source, record):
    decision = plan(context(crm_source=source), record)
    assert decision.outcome is Outcome.SKIPPED and not decision.writes and "synced" in decision.reason


def test_orphan_contact_is_skipped_without_unassociated_option():
    decision = plan(context(), crm(RecordKind.CONTACT, {"Last_Name": "Lovelace"}))
    assert (
        decision.outcome is Outcome.SKIPPED
        and "include contacts that belong to no account" in decision.reason
    )


def test_orphan_contact_becomes_individual_customer_with_unassociated_option():
    decision = plan(
        context(include_unassociated_contacts=True), crm(RecordKind.CONTACT, {"Last_Name": "Lovelace"})
    )
    assert decision.outcome is Outcome.ADDED and only_write(decision).record_kind is RecordKind.CONTACT


def test_contact_of_synced_account_becomes_contact_person_of_its_customer():
    ctx = context()
    person = crm(
        RecordKind.PERSON,
        {"First_Name": "Bo", "Last_Name": "Ek", "Email": "bo@x.org", "Mailing_City": "Oslo"},
        parent_id="acc-1",
        linked_parent_id="cust-9",
    )
    decision = plan(ctx, person)
    write = only_write(decision)
    assert decision.outcome is Outcome.ADDED and write.parent_id == "cust-9" and write.side is Side.INVENTORY
    assert to_inventory_payload(ctx, RecordKind.PERSON, write.changes, None) == {
        "first_name": "Bo",
        "last_name": "Ek",
        "email": "bo@x.org",
    }


def test_contact_of_account_is_deferred_when_account_not_synced():
    decision = plan(context(), crm(RecordKind.PERSON, {"Last_Name": "Ek"}, parent_id="acc-1"))
    assert decision.outcome is Outcome.DEFERRED and "acc-1" in decision.reason and not decision.writes


def test_contact_person_edit_flows_both_ways_when_linked():
    ctx = context()
    crm0 = crm(
        RecordKind.PERSON, {"First_Name": "Bo", "Last_Name": "Ek", "Email": "bo@x.org"}, parent_id="acc-1"
    )
    inv0 = inv(
        RecordKind.PERSON,
        {"contact_person_id": "p1", "first_name": "Bo", "last_name": "Ek", "email": "bo@x.org"},
        "cust-9/p1",
        parent_id="cust-9",
    )
    mapping = linked(ctx, crm0, inv0)
    edited = inv(RecordKind.PERSON, {**inv0.values, "mobile": "999"}, "cust-9/p1", parent_id="cust-9")
    write = only_write(plan(ctx, edited, mapping, crm0))
    assert (write.side, write.record_id, write.changes) == (Side.CRM, "c1", {"contact_person.mobile": "999"})
    assert to_crm_payload(ctx, RecordKind.PERSON, write.changes) == {"Mobile": "999"}


# ------------------------------------------------------------------ M2 extent, fetch-only and secondary
def test_two_way_order_is_crm_first_for_customers_and_inventory_first_for_items():
    assert pass_order(context()) == (Side.CRM, Side.INVENTORY)
    assert pass_order(context(Module.VENDORS)) == (Side.CRM, Side.INVENTORY)
    assert pass_order(context(Module.ITEMS)) == (Side.INVENTORY, Side.CRM)
    assert pass_order(context(Module.ITEMS, two_way=False)) == (Side.CRM,)


def _not_two_way_scenarios() -> list:
    ctx = context(Module.ITEMS, two_way=False, duplicates=DuplicatePolicy.OVERWRITE)
    crm0 = crm(RecordKind.PRODUCT, {"Product_Name": "Mug", "Product_Code": "M1", "Unit_Price": 5})
    inv0 = inv(RecordKind.PRODUCT, {"name": "Mug", "sku": "M1", "rate": 5})
    mapping = linked(ctx, crm0, inv0)
    inv_edit = inv(RecordKind.PRODUCT, {**inv0.values, "rate": 7, "description": "Big"})
    crm_edit = crm(RecordKind.PRODUCT, {**crm0.values, "Unit_Price": 6})
    crm_blank = crm(RecordKind.PRODUCT, {"Product_Name": "Mug", "Product_Code": "M1"})
    return [
        ("new inventory record", ctx, inv0, None, None, []),
        ("edited inventory record", ctx, inv_edit, mapping, crm0, []),
        ("conflict", ctx, crm_edit, mapping, inv_edit, []),
        ("overwrite link", ctx, crm_blank, None, None, [inv_edit]),
    ]


@pytest.mark.parametrize(
    ("name", "ctx", "record", "mapping", "other", "candidates"), _not_two_way_scenarios()
)
def test_no_crm_write_when_fetch_only_or_secondary(name, ctx, record, mapping, other, candidates):
    decision = plan_record(ctx, record, mapping, other, candidates)
    assert all(write.side is Side.INVENTORY for write in decision.writes), name


def test_new_inventory_record_is_not_pushed_when_fetch_only():
    decision = plan(context(two_way=False), inv(RecordKind.ACCOUNT, ACME_INV))
    assert decision.outcome is Outcome.SKIPPED and decision.reason == FETCH_ONLY


def test_inventory_edit_is_kept_and_crm_edit_of_same_field_wins_when_fetch_only():
    ctx = context(crm_source=CrmSource.ACCOUNTS, two_way=False)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    mapping = linked(ctx, crm0, inv0)
    inv1 = inv(RecordKind.ACCOUNT, {**ACME_INV, "website": "acme.com"})
    kept = plan(ctx, inv1, mapping, crm0)
    assert kept.outcome is Outcome.SKIPPED and not kept.writes
    assert kept.mapping.base["website"] == "acme.no"  # the CRM still holds acme.no
    crm1 = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Website": "acme.org"})
    wins = plan(ctx, crm1, kept.mapping, inv1)
    assert only_write(wins).changes == {"website": "acme.org"} and wins.conflicts[0].winner is Side.CRM


# ------------------------------------------------------------------ M3 routing in two-way mode
def test_business_customer_goes_to_crm_accounts_when_two_way():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    decision = plan(ctx, inv(RecordKind.ACCOUNT, ACME_INV, modified=T0))
    write = decision.writes[0]
    assert (write.side, write.kind, write.record_kind) == (Side.CRM, WriteKind.CREATE, RecordKind.ACCOUNT)
    assert to_crm_payload(ctx, RecordKind.ACCOUNT, write.changes) == {
        "Account_Name": "Acme",
        "Phone": "111",
        "Billing_City": "Oslo",
        "Website": "acme.no",
    }
    assert decision.mapping.claim_side is Side.INVENTORY and decision.mapping.inventory_modified == T0


def test_individual_customer_goes_to_crm_contacts_when_two_way():
    ctx = context(crm_source=CrmSource.CONTACTS)
    values = {
        "contact_name": "Ada Lovelace",
        "contact_persons": [
            {
                "contact_person_id": "p",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "is_primary_contact": True,
            }
        ],
    }
    write = only_write(plan(ctx, inv(RecordKind.CONTACT, values)))
    assert write.side is Side.CRM
    assert to_crm_payload(ctx, RecordKind.CONTACT, write.changes) == {
        "First_Name": "Ada",
        "Last_Name": "Lovelace",
    }


def test_individual_customer_without_person_takes_display_name_as_last_name_on_both_sides():
    ctx = context(crm_source=CrmSource.CONTACTS)
    decision = plan(ctx, inv(RecordKind.CONTACT, {"contact_name": "Ada Lovelace", "contact_persons": []}))
    create, backfill = decision.writes
    assert to_crm_payload(ctx, RecordKind.CONTACT, create.changes) == {"Last_Name": "Ada Lovelace"}
    assert (backfill.side, backfill.kind, backfill.record_id) == (Side.INVENTORY, WriteKind.UPDATE, "i1")
    assert backfill.changes == {"contact_person.last_name": "Ada Lovelace"}


@pytest.mark.parametrize(
    ("module", "record", "crm_payload"),
    [
        (
            Module.VENDORS,
            inv(
                RecordKind.VENDOR,
                {
                    "contact_name": "Nordic",
                    "contact_persons": [{"contact_person_id": "p", "email": "n@x.org"}],
                },
            ),
            {"Vendor_Name": "Nordic", "Email": "n@x.org"},
        ),
        (
            Module.ITEMS,
            inv(RecordKind.PRODUCT, {"name": "Mug", "sku": "M1", "rate": 5.0, "status": "active"}),
            {"Product_Name": "Mug", "Product_Code": "M1", "Unit_Price": 5, "Product_Active": True},
        ),
    ],
)
def test_vendors_go_to_crm_vendors_and_items_to_crm_products_when_two_way(module, record, crm_payload):
    ctx = context(module)
    create = plan(ctx, record).writes[0]
    assert create.side is Side.CRM and to_crm_payload(ctx, create.record_kind, create.changes) == crm_payload


def test_record_without_required_name_is_skipped_not_created():
    decision = plan(context(Module.ITEMS), crm(RecordKind.PRODUCT, {"Product_Code": "X"}))
    assert decision.outcome is Outcome.SKIPPED and "no item name" in decision.reason


# ------------------------------------------------------------------ M4 duplicates
NAMES = [" acme  ", "ACME", "Acme\u00a0"]


def candidates_for(ctx: PlanContext, record: SourceRecord, pool: list[SourceRecord]) -> list[SourceRecord]:
    """What the runtime's match index returns: unlinked records of the other side with the same key."""
    key = match_key(ctx, record)
    return [other for other in pool if match_key(ctx, other) == key]


@pytest.mark.parametrize("name", NAMES)
def test_duplicate_is_left_alone_when_policy_is_skip(name):
    ctx = context(crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.SKIP)
    record = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Account_Name": name})
    decision = plan(
        ctx, record, candidates=candidates_for(ctx, record, [inv(RecordKind.ACCOUNT, ACME_INV, "i7")])
    )
    assert decision.outcome is Outcome.SKIPPED and not decision.writes and decision.mapping is None
    assert "business customer i7" in decision.reason


@pytest.mark.parametrize("name", NAMES)
def test_duplicate_is_created_again_when_policy_is_clone(name):
    ctx = context(crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.CLONE)
    record = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Account_Name": name})
    found = candidates_for(ctx, record, [inv(RecordKind.ACCOUNT, ACME_INV, "i7")])
    assert found
    decision = plan(ctx, record, candidates=found)
    assert decision.outcome is Outcome.ADDED and only_write(decision).kind is WriteKind.CREATE


@pytest.mark.parametrize("name", NAMES)
def test_crm_record_replaces_inventory_duplicate_and_links_when_policy_is_overwrite(name):
    ctx = context(crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.OVERWRITE)
    record = crm(
        RecordKind.ACCOUNT, {**ACME_CRM, "Account_Name": name, "Billing_City": "Bergen", "Website": None}
    )
    twin = inv(RecordKind.ACCOUNT, {**ACME_INV, "notes": "VIP"}, "i7")
    decision = plan(ctx, record, candidates=candidates_for(ctx, record, [twin]))
    assert decision.outcome is Outcome.LINKED and decision.conflicts == ()
    to_inventory = next(w for w in decision.writes if w.side is Side.INVENTORY)
    assert to_inventory.record_id == "i7" and to_inventory.changes["billing_address.city"] == "Bergen"
    assert "website" not in to_inventory.changes  # an empty CRM value keeps the inventory's
    to_crm = next(w for w in decision.writes if w.side is Side.CRM)
    assert to_crm.changes == {"website": "acme.no", "notes": "VIP"}
    mapping = decision.mapping
    assert (mapping.status, mapping.crm_id, mapping.inventory_id, mapping.origin) == (
        MappingStatus.LINKED,
        "c1",
        "i7",
        None,
    )


def test_inventory_record_links_to_crm_duplicate_and_takes_crm_values_when_policy_is_overwrite():
    ctx = context(crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.OVERWRITE)
    record = inv(RecordKind.ACCOUNT, {**ACME_INV, "contact_name": "ACME "})
    twin = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "222"}, "c5")
    decision = plan(ctx, record, candidates=candidates_for(ctx, record, [twin]))
    assert decision.outcome is Outcome.LINKED
    to_inventory = next(w for w in decision.writes if w.side is Side.INVENTORY)
    assert to_inventory.changes == {"contact_name": "Acme", "billing_address.phone": "222"}


def test_several_duplicates_are_named_and_left_alone_when_policy_is_overwrite():
    ctx = context(crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.OVERWRITE)
    pool = [
        inv(RecordKind.ACCOUNT, ACME_INV, "i7"),
        inv(RecordKind.ACCOUNT, {**ACME_INV, "contact_name": "acme"}, "i8"),
    ]
    record = crm(RecordKind.ACCOUNT, ACME_CRM)
    decision = plan(ctx, record, candidates=candidates_for(ctx, record, pool))
    assert decision.outcome is Outcome.SKIPPED and "i7" in decision.reason and "i8" in decision.reason


def test_items_are_duplicates_only_when_name_and_sku_agree():
    ctx = context(Module.ITEMS, duplicates=DuplicatePolicy.OVERWRITE)
    record = crm(RecordKind.PRODUCT, {"Product_Name": "Mug", "Product_Code": "M-1", "Unit_Price": 5})
    pool = [
        inv(RecordKind.PRODUCT, {"name": "mug", "sku": "M-2"}, "i1"),
        inv(RecordKind.PRODUCT, {"name": " MUG", "sku": "m-1"}, "i2"),
    ]
    decision = plan(ctx, record, candidates=candidates_for(ctx, record, pool))
    assert decision.outcome is Outcome.LINKED and decision.mapping.inventory_id == "i2"


# ------------------------------------------------------------------ M6 field mapping, M7 goods or services
def test_custom_field_mapping_carries_values_both_ways():
    ctx = context(
        crm_source=CrmSource.ACCOUNTS,
        field_map=(FieldPair(crm="Tier", inventory="cf_tier"),),
        custom_kinds={"cf_tier": "picklist"},
    )
    created = only_write(plan(ctx, crm(RecordKind.ACCOUNT, {**ACME_CRM, "Tier": "Gold"})))
    assert to_inventory_payload(ctx, RecordKind.ACCOUNT, created.changes, None)["custom_fields"] == [
        {"api_name": "cf_tier", "value": "Gold"}
    ]
    crm0 = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Tier": "Gold"})
    inv0 = inv(RecordKind.ACCOUNT, {**ACME_INV, "custom_fields": [{"api_name": "cf_tier", "value": "Gold"}]})
    inv1 = inv(
        RecordKind.ACCOUNT, {**ACME_INV, "custom_fields": [{"api_name": "cf_tier", "value": "Silver"}]}
    )
    write = only_write(plan(ctx, inv1, linked(ctx, crm0, inv0), crm0))
    assert to_crm_payload(ctx, RecordKind.ACCOUNT, write.changes) == {"Tier": "Silver"}


def test_goods_or_services_maps_to_product_type_both_ways():
    ctx = context(Module.ITEMS, product_type_field="Kind")
    created = only_write(plan(ctx, crm(RecordKind.PRODUCT, {"Product_Name": "Repair", "Kind": "Services"})))
    assert to_inventory_payload(ctx, RecordKind.PRODUCT, created.changes, None)["product_type"] == "service"
    pushed = only_write(plan(ctx, inv(RecordKind.PRODUCT, {"name": "Mug", "product_type": "goods"})))
    assert to_crm_payload(ctx, RecordKind.PRODUCT, pushed.changes)["Kind"] == "Goods"


# ------------------------------------------------------------------ M9 vendors take the same options
@pytest.mark.parametrize("policy", list(DuplicatePolicy))
def test_vendor_duplicates_follow_the_policy(policy):
    ctx = context(Module.VENDORS, duplicates=policy)
    record = crm(RecordKind.VENDOR, {"Vendor_Name": "Nordic  Supplies", "Email": "n@x.org"})
    twin = inv(RecordKind.VENDOR, {"contact_name": "nordic supplies", "contact_persons": []}, "i3")
    outcome = plan(ctx, record, candidates=candidates_for(ctx, record, [twin])).outcome
    assert (
        outcome
        is {
            DuplicatePolicy.SKIP: Outcome.SKIPPED,
            DuplicatePolicy.CLONE: Outcome.ADDED,
            DuplicatePolicy.OVERWRITE: Outcome.LINKED,
        }[policy]
    )


# ------------------------------------------------------------------ echoes and change detection
def test_own_write_coming_back_is_skipped_as_echo():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    decision = plan(
        ctx, crm(RecordKind.ACCOUNT, {**ACME_CRM, "Billing_City": "Bergen"}), linked(ctx, crm0, inv0), inv0
    )
    written = inv(RecordKind.ACCOUNT, {**ACME_INV, "billing_address": {"city": "Bergen", "phone": "111"}})
    assert not needs_other(ctx, written, decision.mapping)
    echo = plan(ctx, written, decision.mapping)
    assert echo.outcome is Outcome.SKIPPED and not echo.writes and echo.mapping is None


def test_created_record_coming_back_is_skipped_as_echo():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    decision = plan(ctx, inv(RecordKind.ACCOUNT, ACME_INV))
    mapping = decision.mapping.model_copy(update={"crm_id": "c9", "status": MappingStatus.LINKED})
    created = crm(
        RecordKind.ACCOUNT, to_crm_payload(ctx, RecordKind.ACCOUNT, decision.writes[0].changes), "c9"
    )
    assert plan(ctx, created, mapping).outcome is Outcome.SKIPPED


def test_needs_other_only_when_linked_and_changed():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    mapping = linked(ctx, crm0, inv0)
    changed = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "9"})
    assert needs_other(ctx, changed, mapping)
    assert not needs_other(ctx, crm0, mapping)
    assert not needs_other(ctx, changed, None)
    tombstoned = mapping.model_copy(update={"tombstone_side": Side.INVENTORY, "tombstone_at": T0})
    assert not needs_other(ctx, changed, tombstoned)


def test_older_version_than_synced_one_is_skipped():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    mapping = linked(ctx, crm0, inv0, crm_modified=T0)
    old = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "0"}, modified=T0 - timedelta(minutes=5))
    assert not needs_other(ctx, old, mapping)
    assert plan(ctx, old, mapping, inv0).outcome is Outcome.SKIPPED


# ------------------------------------------------------------------ conflicts
def test_edits_to_different_fields_on_both_sides_both_survive():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    crm1 = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "222"})
    inv1 = inv(RecordKind.ACCOUNT, {**ACME_INV, "website": "acme.com"})
    decision = plan(ctx, crm1, linked(ctx, crm0, inv0), inv1)
    changes = {w.side: w.changes for w in decision.writes}
    assert changes == {Side.CRM: {"website": "acme.com"}, Side.INVENTORY: {"billing_address.phone": "222"}}
    assert decision.outcome is Outcome.UPDATED and decision.conflicts == ()


@pytest.mark.parametrize(
    ("module", "crm_values", "inventory_values", "crm_edit", "inventory_edit", "winner", "field", "value"),
    [
        (
            Module.CUSTOMERS,
            ACME_CRM,
            ACME_INV,
            {"Phone": "222"},
            {"billing_address": {"city": "Oslo", "phone": "333"}},
            Side.CRM,
            "billing_address.phone",
            "222",
        ),
        (
            Module.ITEMS,
            {"Product_Name": "Mug", "Unit_Price": 5},
            {"name": "Mug", "rate": 5},
            {"Unit_Price": 6},
            {"rate": 7},
            Side.INVENTORY,
            "rate",
            7,
        ),
    ],
)
def test_same_field_edited_on_both_sides_goes_to_module_winner_and_is_recorded(
    module, crm_values, inventory_values, crm_edit, inventory_edit, winner, field, value
):
    kind = RecordKind.PRODUCT if module is Module.ITEMS else RecordKind.ACCOUNT
    ctx = context(module, **({"crm_source": CrmSource.ACCOUNTS} if module is Module.CUSTOMERS else {}))
    crm0, inv0 = crm(kind, crm_values), inv(kind, inventory_values)
    crm1, inv1 = crm(kind, {**crm_values, **crm_edit}), inv(kind, {**inventory_values, **inventory_edit})
    decision = plan(ctx, inv1, linked(ctx, crm0, inv0), crm1)
    loser = winner.other
    assert only_write(decision).side is loser and only_write(decision).changes == {field: value}
    (conflict,) = decision.conflicts
    assert (conflict.field, conflict.winner) == (field, winner)
    assert decision.mapping.base[field] == value


def test_field_cleared_in_the_crm_is_cleared_in_inventory_with_an_empty_string():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    crm1 = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Website": ""})
    decision = plan(ctx, crm1, linked(ctx, crm0, inv0), inv0)
    write = only_write(decision)
    assert (write.side, write.changes) == (Side.INVENTORY, {"website": None})
    assert to_inventory_payload(ctx, RecordKind.ACCOUNT, write.changes, ACME_INV) == {"website": ""}
    assert "website" not in decision.mapping.base


def test_field_cleared_in_inventory_is_cleared_in_the_crm_with_null():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    inv1 = inv(RecordKind.ACCOUNT, {**ACME_INV, "billing_address": {"city": "Oslo", "phone": ""}})
    write = only_write(plan(ctx, inv1, linked(ctx, crm0, inv0), crm0))
    assert (write.side, write.changes) == (Side.CRM, {"billing_address.phone": None})
    assert to_crm_payload(ctx, RecordKind.ACCOUNT, write.changes) == {"Phone": None}


def test_price_cleared_in_the_crm_is_kept_and_refilled_as_inventory_has_no_empty_price():
    ctx = context(Module.ITEMS)
    crm0 = crm(RecordKind.PRODUCT, {"Product_Name": "Lamp", "Unit_Price": 10.0})
    inv0 = inv(RecordKind.PRODUCT, {"name": "Lamp", "rate": 10.0})
    crm1 = crm(RecordKind.PRODUCT, {"Product_Name": "Lamp", "Unit_Price": None})
    write = only_write(plan(ctx, crm1, linked(ctx, crm0, inv0), inv0))
    assert (write.side, write.changes) == (Side.CRM, {"rate": 10})


def test_company_name_kept_in_inventory_when_crm_cannot_hold_it():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    inv1 = inv(RecordKind.ACCOUNT, {**ACME_INV, "company_name": "Acme Holding AS"})
    first = plan(ctx, inv1, linked(ctx, crm0, inv0), crm0)
    assert first.outcome is Outcome.SKIPPED and not first.writes
    crm1 = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "222"})
    second = plan(ctx, crm1, first.mapping, inv1)
    assert only_write(second).changes == {"billing_address.phone": "222"}  # company name untouched


# ------------------------------------------------------------------ S8 deletes and tombstones
def test_missing_linked_record_tombstones_mapping_without_delete_or_create():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    inv1 = inv(RecordKind.ACCOUNT, {**ACME_INV, "website": "acme.com"}, modified=T0)
    decision = plan(ctx, inv1, linked(ctx, crm0, inv0), None)
    assert decision.outcome is Outcome.SKIPPED and not decision.writes
    assert decision.mapping.tombstone_side is Side.CRM and decision.mapping.tombstone_at == T0
    assert "no longer exists" in decision.reason


def test_surviving_side_edit_never_recreates_record_deleted_in_crm():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    tombstoned = linked(ctx, crm0, inv0, tombstone_side=Side.CRM, tombstone_at=T0)
    inv2 = inv(RecordKind.ACCOUNT, {**ACME_INV, "notes": "still here"})
    decision = plan(ctx, inv2, tombstoned, None)
    assert decision.outcome is Outcome.SKIPPED and not decision.writes and "deleted" in decision.reason


def test_pair_is_not_synced_when_record_changed_kind_since_linking():
    ctx = context(include_unassociated_contacts=True)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    mapping = linked(ctx, crm0, inv0)
    individual = inv(RecordKind.CONTACT, {**ACME_INV, "customer_sub_type": "individual"})
    assert not needs_other(ctx, individual, mapping)
    decision = plan(ctx, individual, mapping, crm0)
    assert (
        decision.outcome is Outcome.SKIPPED
        and not decision.writes
        and "business customer made individual" in decision.reason
    )
