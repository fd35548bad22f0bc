"""What the applier records of each side's version after its writes (sync-correctness.md: a late,
older read must not overwrite a fresher write): a source read without a modified time keeps the
version recorded before, as the planner does."""

from __future__ import annotations

from datetime import timedelta

from crmsync.domain.sync.model import RecordKind
from crmsync.services.sync.apply import _after_writes
from crmsync.services.sync.write_results import Written
from tests.unit.sync.test_sync_planner import ACME_CRM, ACME_INV, T0, crm, inv
from tests.unit.sync.test_sync_planner_versions import CTX, synced_at_t0


def test_a_source_read_without_a_modified_time_keeps_the_version_recorded_before():
    source = crm(RecordKind.ACCOUNT, ACME_CRM).model_copy(update={"modified": None})
    after = _after_writes(CTX, synced_at_t0(), source, {})
    assert after.crm_modified == T0


def test_the_source_and_the_written_side_record_their_new_versions():
    later = T0 + timedelta(minutes=5)
    source = crm(RecordKind.ACCOUNT, ACME_CRM).model_copy(update={"modified": later})
    written = {inv(RecordKind.ACCOUNT, ACME_INV).side: Written("i-1", later + timedelta(seconds=1))}
    after = _after_writes(CTX, synced_at_t0(), source, written)
    assert (after.crm_modified, after.inventory_modified) == (later, later + timedelta(seconds=1))
