"""Canonical form, hashes and payloads of both sides (M6, M7, value conversion)."""

from __future__ import annotations

import pytest

from crmsync.domain.models import CrmSource, FieldPair, Module, ModuleSettings, Side
from crmsync.domain.sync.canonical import (
    crm_canonical_after,
    record_hash,
    resolve_context,
    to_canonical,
    to_crm_payload,
    to_inventory_payload,
)
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord


def context(module: Module = Module.CUSTOMERS, **settings) -> PlanContext:
    custom_kinds = settings.pop("custom_kinds", None)
    if module is Module.CUSTOMERS:
        settings.setdefault("crm_source", CrmSource.ACCOUNTS_AND_CONTACTS)
    return resolve_context("int-1", module, ModuleSettings(**settings), 3, True, custom_kinds)


def crm(kind: RecordKind, values: dict, record_id: str = "c1") -> SourceRecord:
    return SourceRecord(side=Side.CRM, kind=kind, id=record_id, values=values)


def inventory(kind: RecordKind, values: dict, record_id: str = "i1") -> SourceRecord:
    return SourceRecord(side=Side.INVENTORY, kind=kind, id=record_id, values=values)


# ------------------------------------------------------------------ resolve_context
def test_default_map_follows_customer_source_when_resolving_context():
    accounts = context(crm_source=CrmSource.ACCOUNTS)
    both = context(crm_source=CrmSource.ACCOUNTS_AND_CONTACTS)
    assert {m for m, _, _ in accounts.field_map} == {"Accounts"}
    assert {m for m, _, _ in both.field_map} == {"Accounts", "Contacts"}
    assert ("Accounts", "Account_Name", "contact_name") in accounts.field_map
    assert accounts.kinds["billing_address.city"] == "text"


def test_admin_pair_replaces_default_pair_of_same_inventory_field_when_resolving_context():
    ctx = context(
        crm_source=CrmSource.ACCOUNTS, field_map=(FieldPair(crm="Account_Number", inventory="website"),)
    )
    website = [pair for pair in ctx.field_map if pair[2] == "website"]
    assert website == [("Accounts", "Account_Number", "website")]


def test_custom_field_pair_takes_its_kind_when_custom_kinds_given():
    ctx = context(
        crm_source=CrmSource.ACCOUNTS,
        field_map=(FieldPair(crm="Credit", inventory="cf_credit_limit"),),
        custom_kinds={"cf_credit_limit": "number"},
    )
    assert ("Accounts", "Credit", "cf_credit_limit") in ctx.field_map
    assert ctx.kinds["cf_credit_limit"] == "number"


def test_product_type_field_maps_to_product_type_when_set_for_items():
    ctx = context(Module.ITEMS, product_type_field="Kind__c")
    assert ("Products", "Kind__c", "product_type") in ctx.field_map
    assert ctx.kinds["product_type"] == "picklist"


# ------------------------------------------------------------------ to_canonical
def test_crm_account_reads_by_api_name_when_canonical():
    ctx = context()
    canonical = to_canonical(
        ctx,
        crm(
            RecordKind.ACCOUNT,
            {"Account_Name": "  Acme  ", "Billing_City": "Oslo", "Website": "", "Phone": None},
        ),
    )
    assert canonical["contact_name"] == canonical["company_name"] == "Acme"
    assert canonical["billing_address.city"] == "Oslo"
    assert canonical["website"] is None and canonical["billing_address.phone"] is None


def test_inventory_contact_reads_nested_paths_primary_person_and_custom_fields_when_canonical():
    ctx = context(
        crm_source=CrmSource.CONTACTS,
        field_map=(FieldPair(crm="Tier", inventory="cf_tier"),),
    )
    values = {
        "contact_name": "Ada Lovelace",
        "billing_address": {"city": " London ", "zip": "N1"},
        "contact_persons": [
            {"contact_person_id": "p1", "first_name": "Other", "is_primary_contact": False},
            {
                "contact_person_id": "p2",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@x.org",
                "is_primary_contact": True,
            },
        ],
        "custom_fields": [{"api_name": "cf_tier", "label": "Tier", "value": "Gold"}],
    }
    canonical = to_canonical(ctx, inventory(RecordKind.CONTACT, values))
    assert canonical["contact_name"] == "Ada Lovelace"
    assert canonical["billing_address.city"] == "London" and canonical["billing_address.zip"] == "N1"
    assert canonical["contact_person.first_name"] == "Ada"
    assert canonical["contact_person.email"] == "ada@x.org"
    assert canonical["cf_tier"] == "Gold"


def test_crm_contact_and_individual_customer_agree_when_canonical():
    ctx = context(crm_source=CrmSource.CONTACTS)
    from_crm = to_canonical(
        ctx,
        crm(
            RecordKind.CONTACT,
            {
                "First_Name": "Ada",
                "Last_Name": "Lovelace",
                "Full_Name": "Ada Lovelace",
                "Email": "ada@x.org",
                "Mailing_City": "London",
            },
        ),
    )
    from_inventory = to_canonical(
        ctx,
        inventory(
            RecordKind.CONTACT,
            {
                "contact_name": "Ada Lovelace",
                "billing_address": {"city": "London"},
                "contact_persons": [
                    {
                        "contact_person_id": "p",
                        "first_name": "Ada",
                        "last_name": "Lovelace",
                        "email": "ada@x.org",
                        "is_primary_contact": True,
                    }
                ],
            },
        ),
    )
    assert from_crm == from_inventory
    assert record_hash(from_crm) == record_hash(from_inventory)


def test_person_reads_only_contact_person_fields_from_its_own_values_when_canonical():
    ctx = context()
    canonical = to_canonical(
        ctx,
        inventory(
            RecordKind.PERSON, {"contact_person_id": "p9", "first_name": "Bo", "email": "bo@x.org"}, "i1/p9"
        ),
    )
    assert set(canonical) == {p for _, _, p in ctx.field_map if p.startswith("contact_person.")}
    assert canonical["contact_person.first_name"] == "Bo" and canonical["contact_person.email"] == "bo@x.org"


def test_listed_contact_reads_primary_person_copies_when_contact_persons_missing():
    ctx = context(Module.VENDORS)
    canonical = to_canonical(
        ctx, inventory(RecordKind.VENDOR, {"contact_name": "Supplies", "email": "s@x.org"})
    )
    assert canonical["contact_person.email"] == "s@x.org"


def test_custom_field_named_by_label_or_hash_when_canonical():
    ctx = context(
        Module.ITEMS,
        field_map=(FieldPair(crm="Warranty", inventory="cf_warranty_months"),),
        custom_kinds={"cf_warranty_months": "number"},
    )
    by_label = to_canonical(
        ctx,
        inventory(
            RecordKind.PRODUCT, {"name": "X", "custom_fields": [{"label": "Warranty Months", "value": "12"}]}
        ),
    )
    by_hash = to_canonical(
        ctx, inventory(RecordKind.PRODUCT, {"name": "X", "custom_field_hash": {"cf_warranty_months": 12.0}})
    )
    assert by_label["cf_warranty_months"] == by_hash["cf_warranty_months"] == 12


@pytest.mark.parametrize(
    ("crm_value", "inventory_value", "expected"),
    [(True, "active", True), (False, "inactive", False), (None, None, None)],
)
def test_product_active_and_item_status_agree_when_canonical(crm_value, inventory_value, expected):
    ctx = context(Module.ITEMS)
    assert to_canonical(ctx, crm(RecordKind.PRODUCT, {"Product_Active": crm_value}))["status"] is expected
    assert to_canonical(ctx, inventory(RecordKind.PRODUCT, {"status": inventory_value}))["status"] is expected


@pytest.mark.parametrize(
    ("crm_value", "inventory_value"), [("Goods", "goods"), ("Services", "service"), ("-None-", None)]
)
def test_goods_and_services_convert_to_product_type_when_mapped(crm_value, inventory_value):
    ctx = context(Module.ITEMS, product_type_field="Kind__c")
    assert (
        to_canonical(ctx, crm(RecordKind.PRODUCT, {"Kind__c": crm_value}))["product_type"] == inventory_value
    )
    if inventory_value:
        assert to_crm_payload(ctx, RecordKind.PRODUCT, {"product_type": inventory_value}) == {
            "Kind__c": crm_value
        }
        assert (
            to_inventory_payload(ctx, RecordKind.PRODUCT, {"product_type": inventory_value}, {})[
                "product_type"
            ]
            == inventory_value
        )


def test_numbers_booleans_and_dates_normalize_when_canonical():
    ctx = context(
        Module.ITEMS,
        field_map=(
            FieldPair(crm="Since", inventory="cf_since"),
            FieldPair(crm="Gift", inventory="cf_gift"),
            FieldPair(crm="Seen", inventory="cf_seen"),
        ),
        custom_kinds={"cf_since": "date", "cf_gift": "boolean", "cf_seen": "datetime"},
    )
    values = {
        "Unit_Price": "12.50",
        "Taxable": "true",
        "Since": "2024-02-01T10:00:00+05:30",
        "Gift": "false",
        "Seen": "2024-02-01T10:00:00+05:30",
    }
    canonical = to_canonical(ctx, crm(RecordKind.PRODUCT, values))
    assert canonical["rate"] == 12.5 and canonical["is_taxable"] is True
    assert canonical["cf_since"] == "2024-02-01" and canonical["cf_gift"] is False
    assert canonical["cf_seen"] == "2024-02-01T04:30:00+00:00"
    assert to_canonical(ctx, inventory(RecordKind.PRODUCT, {"rate": 899.0}))["rate"] == 899


# ------------------------------------------------------------------ record_hash
def test_hash_ignores_key_order_empty_fields_and_number_form():
    assert record_hash({"a": "x", "b": 5, "c": None}) == record_hash({"b": 5.0, "a": "x", "d": ""})
    assert record_hash({"a": "x"}) != record_hash({"a": "y"})


# ------------------------------------------------------------------ payloads
def test_crm_field_mapped_to_several_paths_is_written_from_first_path():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    assert to_crm_payload(ctx, RecordKind.ACCOUNT, {"company_name": "Acme Ltd"}) == {}
    assert to_crm_payload(ctx, RecordKind.ACCOUNT, {"contact_name": "Acme", "company_name": "Acme Ltd"}) == {
        "Account_Name": "Acme"
    }


def test_full_name_is_never_written_but_derived_after_write():
    ctx = context(crm_source=CrmSource.CONTACTS)
    payload = to_crm_payload(
        ctx, RecordKind.CONTACT, {"contact_name": "Ada L", "contact_person.last_name": "Byron"}
    )
    assert payload == {"Last_Name": "Byron"}
    after = crm_canonical_after(
        ctx, RecordKind.CONTACT, {"First_Name": "Ada", "Last_Name": "Lovelace"}, payload
    )
    assert after["contact_name"] == "Ada Byron"


def test_inventory_create_nests_addresses_and_sets_contact_and_customer_type():
    ctx = context(crm_source=CrmSource.ACCOUNTS, field_map=(FieldPair(crm="Tier", inventory="cf_tier"),))
    payload = to_inventory_payload(
        ctx,
        RecordKind.ACCOUNT,
        {
            "contact_name": "Acme",
            "billing_address.city": "Oslo",
            "shipping_address.zip": "0150",
            "cf_tier": "Gold",
            "notes": None,
        },
        None,
    )
    assert payload == {
        "contact_name": "Acme",
        "billing_address": {"city": "Oslo"},
        "shipping_address": {"zip": "0150"},
        "custom_fields": [{"api_name": "cf_tier", "value": "Gold"}],
        "contact_type": "customer",
        "customer_sub_type": "business",
    }


@pytest.mark.parametrize(
    ("kind", "module", "source", "expected"),
    [
        (
            RecordKind.CONTACT,
            Module.CUSTOMERS,
            CrmSource.CONTACTS,
            {"contact_type": "customer", "customer_sub_type": "individual"},
        ),
        (RecordKind.VENDOR, Module.VENDORS, None, {"contact_type": "vendor"}),
    ],
)
def test_inventory_create_sets_types_by_kind(kind, module, source, expected):
    ctx = context(module, crm_source=source) if source else context(module)
    payload = to_inventory_payload(ctx, kind, {"contact_name": "Z"}, None)
    assert {k: payload[k] for k in ("contact_type", "customer_sub_type") if k in payload} == expected


def test_inventory_update_sends_whole_address_and_keeps_other_contact_persons():
    ctx = context(crm_source=CrmSource.CONTACTS)
    existing = {
        "billing_address": {"city": "London", "zip": "N1", "country": "UK"},
        "contact_persons": [
            {"contact_person_id": "p1", "first_name": "Ada", "is_primary_contact": True},
            {"contact_person_id": "p2", "first_name": "Bo", "is_primary_contact": False},
        ],
    }
    payload = to_inventory_payload(
        ctx,
        RecordKind.CONTACT,
        {"billing_address.city": "Paris", "contact_person.email": "ada@x.org"},
        existing,
    )
    assert payload["billing_address"] == {"city": "Paris", "zip": "N1", "country": "UK"}
    assert payload["contact_persons"] == [
        {"contact_person_id": "p1", "email": "ada@x.org"},
        {"contact_person_id": "p2"},
    ]
    assert "contact_type" not in payload


def test_inventory_update_adds_primary_person_when_contact_has_none():
    ctx = context(crm_source=CrmSource.CONTACTS)
    payload = to_inventory_payload(
        ctx, RecordKind.CONTACT, {"contact_person.last_name": "Lovelace"}, {"contact_persons": []}
    )
    assert payload["contact_persons"] == [{"last_name": "Lovelace", "is_primary_contact": True}]


def test_inventory_update_of_person_fields_refuses_listed_contact():
    ctx = context(crm_source=CrmSource.CONTACTS)
    with pytest.raises(ValueError, match="full contact"):
        to_inventory_payload(
            ctx, RecordKind.CONTACT, {"contact_person.email": "a@x.org"}, {"contact_name": "A"}
        )


def test_person_payload_is_flat_person_fields():
    ctx = context()
    payload = to_inventory_payload(
        ctx, RecordKind.PERSON, {"contact_person.first_name": "Bo", "contact_person.email": None}, None
    )
    assert payload == {"first_name": "Bo"}


def test_item_status_goes_out_as_active_or_inactive():
    ctx = context(Module.ITEMS)
    assert to_inventory_payload(ctx, RecordKind.PRODUCT, {"status": False, "rate": 9.5}, {}) == {
        "status": "inactive",
        "rate": 9.5,
    }
    assert to_crm_payload(ctx, RecordKind.PRODUCT, {"status": True, "rate": 9.5}) == {
        "Product_Active": True,
        "Unit_Price": 9.5,
    }
