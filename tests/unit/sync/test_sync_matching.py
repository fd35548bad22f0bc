"""Duplicate keys (M4): the same key from both sides, robust to case, whitespace and Unicode form."""

from __future__ import annotations

import unicodedata

import pytest

from crmsync.domain.models import CrmSource, Module, ModuleSettings, Side
from crmsync.domain.sync.canonical import resolve_context
from crmsync.domain.sync.matching import match_key, normalize_name
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord


def context(
    module: Module = Module.CUSTOMERS, source: CrmSource | None = CrmSource.ACCOUNTS_AND_CONTACTS, **settings
) -> PlanContext:
    if module is not Module.CUSTOMERS:
        source = None
    return resolve_context("int-1", module, ModuleSettings(crm_source=source, **settings), 1, True)


def record(side: Side, kind: RecordKind, values: dict, **extra) -> SourceRecord:
    return SourceRecord(side=side, kind=kind, id="x", values=values, **extra)


COMPOSED = unicodedata.normalize("NFC", "Café")
DECOMPOSED = unicodedata.normalize("NFD", "Café")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Acme GmbH", "  acme   GMBH "),
        (COMPOSED, DECOMPOSED),
        ("ÆRØ fisk ", "Ærø Fisk"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("Tab\tand\nnewline", "tab and newline"),
    ],
)
def test_names_normalize_equal_when_they_differ_only_in_case_space_or_unicode_form(left, right):
    assert COMPOSED != DECOMPOSED
    assert normalize_name(left) == normalize_name(right)


def test_names_stay_different_when_letters_differ():
    assert normalize_name("Acme") != normalize_name("Acne")
    assert normalize_name(None) == normalize_name("   ") == ""


def test_account_and_business_customer_share_key_when_names_match():
    ctx = context()
    crm = record(Side.CRM, RecordKind.ACCOUNT, {"Account_Name": DECOMPOSED + " Royal"})
    inventory = record(Side.INVENTORY, RecordKind.ACCOUNT, {"contact_name": " café  ROYAL"})
    assert match_key(ctx, crm) == match_key(ctx, inventory) is not None


def test_account_never_matches_individual_customer_of_same_name():
    ctx = context(include_unassociated_contacts=True)
    account = record(Side.CRM, RecordKind.ACCOUNT, {"Account_Name": "Ada Lovelace"})
    individual = record(Side.INVENTORY, RecordKind.CONTACT, {"contact_name": "Ada Lovelace"})
    assert match_key(ctx, account) != match_key(ctx, individual)


def test_contact_full_name_matches_display_name():
    ctx = context(source=CrmSource.CONTACTS)
    crm = record(Side.CRM, RecordKind.CONTACT, {"First_Name": "Ada ", "Last_Name": "LOVELACE"})
    inventory = record(Side.INVENTORY, RecordKind.CONTACT, {"contact_name": "ada lovelace"})
    assert match_key(ctx, crm) == match_key(ctx, inventory) is not None


def test_vendor_name_matches_display_name():
    ctx = context(Module.VENDORS)
    crm = record(Side.CRM, RecordKind.VENDOR, {"Vendor_Name": "Nordic Supplies"})
    inventory = record(Side.INVENTORY, RecordKind.VENDOR, {"contact_name": "nordic  supplies "})
    assert match_key(ctx, crm) == match_key(ctx, inventory) is not None


@pytest.mark.parametrize(
    ("crm_values", "inventory_values", "same"),
    [
        ({"Product_Name": "Espresso", "Product_Code": "ESP-1"}, {"name": "espresso", "sku": " esp-1 "}, True),
        ({"Product_Name": "Espresso", "Product_Code": "ESP-1"}, {"name": "Espresso", "sku": "ESP-2"}, False),
        ({"Product_Name": "Espresso", "Product_Code": "ESP-1"}, {"name": "Espresso", "sku": ""}, False),
        ({"Product_Name": "Espresso", "Product_Code": None}, {"name": "Espresso"}, True),
        ({"Product_Name": "Espresso", "Product_Code": "ESP-1"}, {"name": "Latte", "sku": "ESP-1"}, False),
    ],
)
def test_items_match_only_when_name_and_sku_agree(crm_values, inventory_values, same):
    ctx = context(Module.ITEMS)
    crm = match_key(ctx, record(Side.CRM, RecordKind.PRODUCT, crm_values))
    inventory = match_key(ctx, record(Side.INVENTORY, RecordKind.PRODUCT, inventory_values))
    assert (crm == inventory) is same


def test_person_key_uses_linked_parent_on_crm_side_and_parent_on_inventory_side():
    ctx = context()
    crm = record(
        Side.CRM,
        RecordKind.PERSON,
        {"First_Name": "Bo", "Last_Name": "Ek"},
        parent_id="acc-1",
        linked_parent_id="cust-9",
    )
    inventory = record(
        Side.INVENTORY, RecordKind.PERSON, {"first_name": "bo", "last_name": "EK"}, parent_id="cust-9"
    )
    unlinked = record(Side.CRM, RecordKind.PERSON, {"First_Name": "Bo", "Last_Name": "Ek"}, parent_id="acc-1")
    assert match_key(ctx, crm) == match_key(ctx, inventory) is not None
    assert match_key(ctx, unlinked) is None


def test_no_key_when_name_is_empty_or_kind_not_synced():
    assert match_key(context(), record(Side.CRM, RecordKind.ACCOUNT, {"Account_Name": "   "})) is None
    contacts_only = context(source=CrmSource.CONTACTS)
    assert match_key(contacts_only, record(Side.CRM, RecordKind.ACCOUNT, {"Account_Name": "Acme"})) is None
