"""B2: how a preview names the outcome of each planner decision and both sides' names in its samples,
and that it reaches the vendors for reads only."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from crmsync.domain.models import CrmSource, DuplicatePolicy, Module, ModuleSettings, Side
from crmsync.domain.preview import PreviewOutcome, PreviewTally
from crmsync.domain.sync.canonical import resolve_context
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.planner import plan_record
from crmsync.domain.sync_state import Mapping
from crmsync.ports.crm import CrmPort
from crmsync.ports.inventory import InventoryPort
from crmsync.ports.vendors import VendorClients
from crmsync.services.sync.preview_apply import names_of, outcome_of
from crmsync.services.sync.preview_store import read_only

AT = datetime(2026, 3, 1, tzinfo=UTC)


def context(duplicates: DuplicatePolicy = DuplicatePolicy.OVERWRITE) -> PlanContext:
    settings = ModuleSettings(crm_source=CrmSource.ACCOUNTS, duplicates=duplicates)
    return resolve_context("int-1", Module.CUSTOMERS, settings, 3, True, None)


def account(name: str, record_id: str = "c1", **values) -> SourceRecord:
    return SourceRecord(
        side=Side.CRM,
        kind=RecordKind.ACCOUNT,
        id=record_id,
        modified=AT,
        values={"Account_Name": name, **values},
    )


def customer(name: str, record_id: str = "i1", **values) -> SourceRecord:
    values = {"contact_name": name, "contact_type": "customer", "customer_sub_type": "business", **values}
    return SourceRecord(
        side=Side.INVENTORY, kind=RecordKind.ACCOUNT, id=record_id, modified=AT, values=values
    )


def test_b2_a_create_is_named_by_the_side_it_would_be_created_on():
    to_inventory = plan_record(context(), account("Acme"), None, None, [])
    to_crm = plan_record(context(), customer("Only Here"), None, None, [])
    assert (outcome_of(to_inventory), names_of(to_inventory, None)) == (
        PreviewOutcome.CREATED_IN_INVENTORY,
        ("Acme", None),
    )
    assert (outcome_of(to_crm), names_of(to_crm, None)) == (
        PreviewOutcome.CREATED_IN_CRM,
        (None, "Only Here"),
    )


@pytest.mark.parametrize("source_side", [Side.CRM, Side.INVENTORY])
def test_b2_a_duplicate_linked_under_overwrite_shows_both_names_as_they_are(source_side):
    crm, inventory = account("Globex", Website="globex.example"), customer("GLOBEX ", website="old.example")
    record, candidate = (crm, inventory) if source_side is Side.CRM else (inventory, crm)
    decision = plan_record(context(), record, None, None, [candidate])
    assert outcome_of(decision) is PreviewOutcome.LINKED
    assert names_of(decision, inventory.values) == ("Globex", "GLOBEX")
    assert ("website", "globex.example") in decision.writes[0].changes.items()


def test_b2_a_skipped_duplicate_and_an_update_of_a_pair_are_told_apart():
    skipped = plan_record(context(DuplicatePolicy.SKIP), account("Globex"), None, None, [customer("Globex")])
    assert outcome_of(skipped) is PreviewOutcome.SKIPPED and "skip" in (skipped.reason or "")
    pair = Mapping(
        integration_id="int-1",
        module=Module.CUSTOMERS,
        crm_id="c1",
        inventory_id="i1",
        record_kind="account",
        base={"contact_name": "Globex", "company_name": "Globex"},
    )
    changed = plan_record(context(), account("Globex", Website="new.example"), pair, customer("Globex"), [])
    assert outcome_of(changed) is PreviewOutcome.OVERWRITTEN
    assert names_of(changed, customer("Globex").values) == ("Globex", "Globex")


def test_b2_a_tally_counts_each_outcome_apart():
    tally = (
        PreviewTally().plus(PreviewOutcome.LINKED).plus(PreviewOutcome.LINKED).plus(PreviewOutcome.REFUSED)
    )
    assert (tally.of(PreviewOutcome.LINKED), tally.refused, tally.skipped) == (2, 1, 0)


WRITES = ("create_", "delete_", "disable_", "enable_", "insert_", "set_", "update_", "upsert_", "void_")


@pytest.mark.parametrize("port", [CrmPort, InventoryPort])
def test_b2_a_preview_reaches_every_vendor_read_and_no_vendor_write(port):
    methods = [name for name in dir(port) if not name.startswith("_")]
    client = SimpleNamespace(**{name: (lambda name=name: name) for name in methods})
    clients = read_only(VendorClients(crm=client, inventory=client))
    for name in methods:
        if name.startswith(WRITES):
            with pytest.raises(AssertionError, match=name):
                getattr(clients.crm, name)
        else:
            assert getattr(clients.inventory, name)() == name
    assert any(name.startswith(WRITES) for name in methods)
