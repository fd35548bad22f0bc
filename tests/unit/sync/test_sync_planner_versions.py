"""The versions an update records on the mapping, and why they matter (sync-correctness.md: a slow or
late read must not overwrite a fresher write; S1, S3).

After an update the mapping holds each side's modified time as read; that time is what rejects a late
delivery of an older version of either record. A side read without a modified time keeps the version
recorded before.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmsync.domain.models import CrmSource, Side
from crmsync.domain.sync.model import Outcome, RecordKind, SourceRecord
from crmsync.domain.sync.planner import needs_other
from crmsync.domain.sync_state import Mapping
from tests.unit.sync.test_sync_planner import ACME_CRM, ACME_INV, T0, context, crm, inv, linked, plan

OLDER = "This is an older version of the record than the one already synced."
CTX = context(crm_source=CrmSource.ACCOUNTS)
CRM_B = {**ACME_CRM, "Phone": "222"}  # version B of each side, edited after the last sync
INVENTORY_B = {**ACME_INV, "website": "acme.com"}


def synced_at_t0() -> Mapping:
    """A pair last synced when both records were modified at T0."""
    return linked(
        CTX,
        crm(RecordKind.ACCOUNT, ACME_CRM),
        inv(RecordKind.ACCOUNT, ACME_INV),
        crm_modified=T0,
        inventory_modified=T0,
    )


def version_b(side: Side, minutes: int | None) -> SourceRecord:
    modified = None if minutes is None else T0 + timedelta(minutes=minutes)
    if side is Side.CRM:
        return crm(RecordKind.ACCOUNT, CRM_B, modified=modified)
    return inv(RecordKind.ACCOUNT, INVENTORY_B, modified=modified)


def late_version_a(side: Side, minutes: int) -> SourceRecord:
    """A version between the last sync and version B, delivered after B was synced."""
    modified = T0 + timedelta(minutes=minutes)
    if side is Side.CRM:
        return crm(RecordKind.ACCOUNT, {**ACME_CRM, "Phone": "111-a"}, modified=modified)
    return inv(RecordKind.ACCOUNT, {**ACME_INV, "website": "acme-a.no"}, modified=modified)


@pytest.mark.parametrize("source_side", [Side.CRM, Side.INVENTORY])
def test_update_records_each_sides_newer_modified_time_when_both_were_read(source_side):
    crm_b, inventory_b = version_b(Side.CRM, 60), version_b(Side.INVENTORY, 120)
    source, other = (crm_b, inventory_b) if source_side is Side.CRM else (inventory_b, crm_b)
    decision = plan(CTX, source, synced_at_t0(), other)
    assert decision.outcome is Outcome.UPDATED
    assert decision.mapping.crm_modified == T0 + timedelta(minutes=60)
    assert decision.mapping.inventory_modified == T0 + timedelta(minutes=120)


@pytest.mark.parametrize("source_side", [Side.CRM, Side.INVENTORY])
@pytest.mark.parametrize("late_side", [Side.CRM, Side.INVENTORY])
def test_late_older_version_of_either_side_is_skipped_after_the_newer_one_synced(source_side, late_side):
    """Version B of both sides synced (one as the changed record, one as its linked record); a delivery
    of the older version A of either side arriving afterwards is skipped, without reading the other
    side, whichever side the update came from."""
    crm_b, inventory_b = version_b(Side.CRM, 60), version_b(Side.INVENTORY, 120)
    source, other = (crm_b, inventory_b) if source_side is Side.CRM else (inventory_b, crm_b)
    after_b = plan(CTX, source, synced_at_t0(), other).mapping
    late = late_version_a(late_side, 30 if late_side is Side.CRM else 90)
    assert not needs_other(CTX, late, after_b)
    skipped = plan(CTX, late, after_b, crm_b if late_side is Side.INVENTORY else inventory_b)
    assert (skipped.outcome, skipped.reason) == (Outcome.SKIPPED, OLDER)
    assert (skipped.writes, skipped.mapping) == ((), None)


@pytest.mark.parametrize("source_side", [Side.CRM, Side.INVENTORY])
def test_side_read_without_modified_time_keeps_the_version_synced_before(source_side):
    crm_b, inventory_b = version_b(Side.CRM, None), version_b(Side.INVENTORY, None)
    source, other = (crm_b, inventory_b) if source_side is Side.CRM else (inventory_b, crm_b)
    after_b = plan(CTX, source, synced_at_t0(), other).mapping
    assert (after_b.crm_modified, after_b.inventory_modified) == (T0, T0)
    for side in (Side.CRM, Side.INVENTORY):
        older_than_t0 = late_version_a(side, -5)
        assert plan(CTX, older_than_t0, after_b, None).reason == OLDER
