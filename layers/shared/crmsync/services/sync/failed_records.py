"""Retry phases: the records of one side that have open failures, read again from that side and
synced as a pass syncs them (`passes.sync_records`), with the preferences the run started with.

An open failure closes when its record syncs (the applier closes it), needs no write any more, is
gone from its side, or is no longer synced under the module's preferences (a CRM module the
customer source no longer reads, the inventory side of a fetch-only module). A record that fails
again keeps its failure open with the new reason and `last_seen`. Records without a mapping are
staged, and the match phases that follow decide about them as in a sync. A pair parked as a
suspected update loop (B9) is released first, with an empty window (`loop_breaker`).
"""

from __future__ import annotations

from collections.abc import Sequence

from crmsync.domain.field_catalog import crm_modules
from crmsync.domain.models import Module, Side
from crmsync.domain.sync.model import RecordKind, SourceRecord
from crmsync.domain.sync_state import Failure
from crmsync.ports.errors import NotFound
from crmsync.services.sync import inventory_writes, loop_breaker, match_phases, passes, phases
from crmsync.services.sync.context import crm_fields
from crmsync.services.sync.kinds import CRM_MODULE
from crmsync.services.sync.records import from_crm, from_inventory, persons_of
from crmsync.services.sync.state import Position

RETRY_PAGE = 25  # open failures per step: each costs a read, perhaps a read of the other side, a write


def retry_phase(step: passes.Step, side: Side, at: Position) -> Position | None:
    """One page of the module's open failures on `side` (a queued retry run)."""
    page = step.store.list_open_failures(
        step.integration_id, module=step.module, side=side, limit=RETRY_PAGE, cursor=at.cursor
    )
    retry_records(step, side, page.items)
    return at.model_copy(update={"cursor": page.next_cursor}) if page.next_cursor else None


def retry_now(step: passes.Step, plan: Sequence[str], failures: Sequence[Failure]) -> None:
    """A retry run's phases at once, over the given failures rather than every open one."""
    for phase in plan:
        side = phases.side_of(phase)
        if phase.startswith(phases.RETRY):
            retry_records(step, side, [f for f in failures if f.side is side])
            continue
        at: Position | None = Position(started=step.now)
        while at is not None:
            at = match_phases.match_phase(step, side, at)


def retry_records(step: passes.Step, side: Side, failures: Sequence[Failure]) -> None:
    """Retries the failed records of `side` (see the module docstring for when a failure closes)."""
    if not failures:
        return
    found = [record for f in failures if (record := _read(step, f)) is not None]
    loop_breaker.release(step.store, step.integration_id, step.module, side, [r.id for r in found])
    before = len(step.applier.failures)
    staged = passes.sync_records(step, side, found) if found else set()
    failed = {f.record_id for f in step.applier.failures[before:] if f.side is side}
    settled = [f.record_id for f in failures if f.record_id not in staged | failed]
    if settled:
        step.store.close_failures(step.integration_id, step.module, side, settled)


def _read(step: passes.Step, failure: Failure) -> SourceRecord | None:
    """The record as it is now; None when it is gone or no longer synced."""
    try:
        if failure.side is Side.CRM:
            return _read_crm(step, failure)
        return _read_inventory(step, failure.record_id) if step.ctx.two_way else None
    except NotFound:
        return None


def _read_crm(step: passes.Step, failure: Failure) -> SourceRecord | None:
    """From the CRM module of the failure's record kind; a failure recorded without one is looked
    for in each CRM module the module reads."""
    read = crm_modules(step.module, step.settings.crm_source)
    if failure.record_kind is not None:
        read = tuple(m for m in read if m == CRM_MODULE[RecordKind(failure.record_kind)])
    for crm_module in read:
        try:
            record = step.clients.crm.get_record(crm_module, failure.record_id, crm_fields(step.ctx, crm_module))
        except NotFound:
            continue
        return from_crm(step.module, crm_module, step.settings, record)
    return None


def _read_inventory(step: passes.Step, record_id: str) -> SourceRecord | None:
    inventory = step.clients.inventory
    if step.module is not Module.ITEMS and "/" in record_id:  # a contact person: `{contact_id}/{person_id}`
        contact_id, _ = inventory_writes.person_id_of(record_id)
        return next((p for p in persons_of(inventory.get_contact(contact_id)) if p.id == record_id), None)
    return from_inventory(step.module, inventory_writes.get(inventory, step.module, record_id))
