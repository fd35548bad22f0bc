"""Every skip or deferral reason that names a side names the right one (S5 history, S8 deletes, M1-M4,
M9): a reason shown to an admin that blames the CRM for an inventory record sends them the wrong way."""

from __future__ import annotations

import pytest

from crmsync.domain.models import CrmSource, DuplicatePolicy, Module, Side
from crmsync.domain.sync.model import Outcome, RecordKind
from tests.unit.sync.test_sync_planner import ACME_CRM, ACME_INV, T0, context, crm, inv, linked, plan

NOT_PUSHED = "deletes are not synced, so this record is kept as it is and not pushed again."


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        (
            inv(RecordKind.ACCOUNT, {**ACME_INV, "website": "acme.com"}, modified=T0),
            f"The linked CRM record c1 no longer exists; {NOT_PUSHED}",
        ),
        (
            crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "222"}, modified=T0),
            f"The linked inventory record i1 no longer exists; {NOT_PUSHED}",
        ),
    ],
)
def test_missing_linked_record_is_named_on_the_other_side_than_the_changed_one(changed, reason):
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    mapping = linked(ctx, crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV))
    decision = plan(ctx, changed, mapping, None)
    assert decision.reason == reason
    assert decision.mapping.tombstone_side is changed.side.other


@pytest.mark.parametrize(
    ("deleted_on", "changed", "name"),
    [
        (Side.CRM, inv(RecordKind.ACCOUNT, {**ACME_INV, "notes": "still here"}), "CRM"),
        (Side.INVENTORY, crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "9"}), "inventory"),
    ],
)
def test_tombstone_reason_names_the_side_the_record_was_deleted_on(deleted_on, changed, name):
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    mapping = linked(
        ctx,
        crm(RecordKind.ACCOUNT, ACME_CRM),
        inv(RecordKind.ACCOUNT, ACME_INV),
        tombstone_side=deleted_on,
        tombstone_at=T0,
    )
    decision = plan(ctx, changed, mapping, None)
    assert decision.outcome is Outcome.SKIPPED
    assert decision.reason == f"The linked {name} record was deleted (noticed 2025-03-01); {NOT_PUSHED}"


@pytest.mark.parametrize(
    ("person", "reason"),
    [
        (
            crm(RecordKind.PERSON, {"Last_Name": "Ek"}, parent_id="acc-1"),
            "Its account acc-1 is not synced yet; it is retried once the account is.",
        ),
        (
            inv(RecordKind.PERSON, {"first_name": "Bo"}, "cust-9/p1", parent_id="cust-9"),
            "Its customer cust-9 is not synced yet; it is retried once the customer is.",
        ),
    ],
)
def test_deferred_contact_names_its_parent_as_its_own_side_calls_it(person, reason):
    decision = plan(context(), person)
    assert (decision.outcome, decision.reason) == (Outcome.DEFERRED, reason)


@pytest.mark.parametrize(
    ("module", "record", "reason"),
    [
        (
            Module.ITEMS,
            crm(RecordKind.PRODUCT, {"Product_Code": "X"}),
            "Not created in the inventory: it has no item name.",
        ),
        (
            Module.ITEMS,
            inv(RecordKind.PRODUCT, {"sku": "X"}),
            "Not created in the CRM: it has no product name.",
        ),
        (
            Module.VENDORS,
            crm(RecordKind.VENDOR, {"Email": "n@x.org"}),
            "Not created in the inventory: it has no display name.",
        ),
        (
            Module.VENDORS,
            inv(RecordKind.VENDOR, {"contact_persons": []}),
            "Not created in the CRM: it has no vendor name.",
        ),
    ],
)
def test_record_without_a_name_names_the_side_it_was_not_created_on(module, record, reason):
    decision = plan(context(module), record)
    assert (decision.outcome, decision.reason, decision.writes) == (Outcome.SKIPPED, reason, ())


def test_fetch_only_reason_says_inventory_records_are_not_pushed_to_the_crm():
    decision = plan(context(two_way=False), inv(RecordKind.ACCOUNT, ACME_INV))
    assert decision.reason == "Fetch-only: inventory records are not pushed to the CRM."


@pytest.mark.parametrize(
    ("record", "candidate", "named"),
    [
        (crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV, "i7"), "business customer i7"),
        (inv(RecordKind.ACCOUNT, ACME_INV), crm(RecordKind.ACCOUNT, ACME_CRM, "c5"), "CRM account c5"),
    ],
)
def test_duplicate_reason_names_the_match_as_its_side_calls_it(record, candidate, named):
    ctx = context(crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.SKIP)
    decision = plan(ctx, record, candidates=[candidate])
    assert (
        decision.reason == f"Matches {named}; the duplicate policy is skip, so neither is changed or linked."
    )


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            crm(RecordKind.ACCOUNT, ACME_CRM),
            "The customer source is CRM Contacts, so CRM accounts are not synced.",
        ),
        (
            inv(RecordKind.ACCOUNT, ACME_INV),
            "The customer source is CRM Contacts, so business customers are not synced.",
        ),
    ],
)
def test_record_outside_the_source_is_named_as_its_own_side_calls_it(record, reason):
    assert plan(context(crm_source=CrmSource.CONTACTS), record).reason == reason
