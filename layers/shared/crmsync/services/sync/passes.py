"""The work of one step in each kind of pass: over a change stream, the inventory index of a
fetch-only run, the CRM's deleted records (the match phases are in `match_phases`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import CrmSource, MappingStatus, Module, ModuleSettings, Side
from crmsync.domain.sync.matching import match_key
from crmsync.domain.sync.model import Outcome, PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.planner import needs_other, plan_record
from crmsync.domain.sync_state import Mapping, SyncRun
from crmsync.ports.errors import NotFound
from crmsync.services.modules import VendorClients
from crmsync.services.sync import inventory_writes, reapply, streams
from crmsync.services.sync.apply import Applier
from crmsync.services.sync.context import crm_fields
from crmsync.services.sync.kinds import CRM_MODULE
from crmsync.services.sync.reapply import Reapply
from crmsync.services.sync.records import from_crm_as, from_inventory, persons_of
from crmsync.services.sync.state import Position

STEP_BUDGET_S = 45.0  # work per step: a batch of 5 messages stays under the worker's 300 s


@dataclass
class Step:
    store: Any
    clients: VendorClients
    ctx: PlanContext
    settings: ModuleSettings
    run: SyncRun
    applier: Applier
    now: datetime
    started: float = field(default_factory=time.monotonic)
    read: int = 0  # records read from the vendors' listings in this step
    staged: int = 0  # records staged for the match phases
    matched: int = 0  # staged records a match phase went through
    reapply: Reapply | None = None  # S7: what the run re-applies of edited preferences

    @property
    def integration_id(self) -> str:
        return self.ctx.integration_id

    @property
    def module(self) -> Module:
        return self.ctx.module

    def over_budget(self) -> bool:
        return time.monotonic() - self.started > STEP_BUDGET_S


# ---------------------------------------------------------------------- passes
def crm_pass(step: Step, crm_module: str, at: Position) -> Position | None:
    page = streams.read_crm(step.clients.crm, step.ctx, step.settings, crm_module, at)
    done = _sync_page(step, Side.CRM, page, at)
    step.read += done
    return _checkpoint(step, streams.crm_stream(step.settings, crm_module), at, page, done)


def inventory_pass(step: Step, at: Position) -> Position | None:
    page = streams.read_inventory(step.clients.inventory, step.module, at)
    done = _sync_page(step, Side.INVENTORY, page, at)
    step.read += done
    return _inventory_checkpoint(step, at, page, done)


def inventory_index(step: Step, at: Position) -> Position | None:
    """Fetch-only: the inventory side is only read to know its unlinked records (M4)."""
    page = streams.read_inventory(step.clients.inventory, step.module, at)
    step.read += len(page.records)
    mapped = step.store.get_mappings(
        step.integration_id, step.module, Side.INVENTORY, [r.id for r in page.records]
    )
    _index(step, Side.INVENTORY, [r for r in page.records if r.id not in mapped])
    return _inventory_checkpoint(step, at, page, len(page.records))


def _inventory_checkpoint(step: Step, at: Position, page: streams.StreamPage, done: int) -> Position | None:
    after = _checkpoint(step, streams.INVENTORY_STREAM, at, page, done)
    if after is None and at.since is None and at.started is not None:  # a full read ended (see streams)
        step.store.advance_watermark(step.integration_id, step.module, streams.INVENTORY_FULL, at.started)
    return after


def deleted_pass(step: Step, crm_module: str, at: Position) -> Position | None:
    """Tombstones the mappings of records deleted in the CRM (S8: nothing is deleted in inventory)."""
    stream = streams.deleted_stream(crm_module)
    if at.since is None:  # nothing was synced before this run: no deletion can concern a mapping
        first = streams.end_of_phase(at, by_time=False) or step.now
        step.store.advance_watermark(step.integration_id, step.module, stream, first)
        return None
    pages = step.clients.crm.iter_deleted_pages(
        crm_module, modified_since=at.since - streams.SECOND, cursor=at.cursor
    )
    page = next(pages, None)
    records = page.records if page else []
    step.read += len(records)
    mappings = step.store.get_mappings(step.integration_id, step.module, Side.CRM, [r.id for r in records])
    for record in records:
        mapping = mappings.get(record.id)
        if mapping is None or mapping.tombstone_side is not None:
            continue
        step.store.update_mapping(
            mapping.model_copy(
                update={"tombstone_side": Side.CRM, "tombstone_at": record.deleted_time or step.now}
            )
        )
        step.applier.counts["deleted_in_crm_kept"] += 1
    if page is not None and page.next_cursor:
        return at.model_copy(update={"cursor": page.next_cursor})
    end = streams.end_of_phase(at, by_time=False)
    if end is not None:
        step.store.advance_watermark(step.integration_id, step.module, stream, end)
    return None


def _checkpoint(
    step: Step, stream: str, at: Position, page: streams.StreamPage, done: int
) -> Position | None:
    """Moves the watermark past the applied part of the page (after every page, never only at the end)."""
    after = streams.after_page(at, page, done)
    top = streams.newest(page.records[:done])
    if page.by_time and top is not None:
        step.store.advance_watermark(step.integration_id, step.module, stream, top)
    if after is None:
        finished = at.model_copy(update={"newest": streams.newest(page.records[:done], at.newest)})
        end = streams.end_of_phase(finished, page.by_time or at.by_id, now=step.now)
        if end is not None:
            step.store.advance_watermark(step.integration_id, step.module, stream, end)
    return after


# ---------------------------------------------------------------------- one page of a pass
def _sync_page(step: Step, side: Side, page: streams.StreamPage, at: Position) -> int:
    """Syncs the mapped records of the page, indexes and stages the others; returns how many it did."""
    page = streams.StreamPage(
        with_parents(step, side, page.records), page.next_cursor, page.by_time, page.sortable_by_id
    )
    mappings = step.store.get_mappings(step.integration_id, step.module, side, [r.id for r in page.records])
    unmapped: list[SourceRecord] = []
    done = 0
    with step.applier.batched():  # the page's CRM writes go in batches, all sent before the checkpoint
        for done, record in enumerate(page.records):
            if step.over_budget() and streams.can_stop_after(at, page, done):
                break
            mapping = mappings.get(record.id)
            if mapping is None or mapping.status is not MappingStatus.LINKED:  # none yet, or a claim
                unmapped.append(record)
            elif reapply.replans(step.reapply, mapping) or not _applied_already(
                record, mapping, summary=_is_summary(step, record)
            ):
                unmapped += _sync_mapped(step, record, mapping)
        else:
            done = len(page.records)
    _stage(step, side, unmapped)
    return done


def sync_records(step: Step, side: Side, records: list[SourceRecord]) -> set[str]:
    """Syncs records read one at a time (a retry) as a pass syncs a page, whatever version was
    applied before: the mapped ones now, the others staged for the match phases. Returns the ids of
    the records it staged."""
    records = with_parents(step, side, records)
    mappings = step.store.get_mappings(step.integration_id, step.module, side, [r.id for r in records])
    unmapped: list[SourceRecord] = []
    with step.applier.batched():
        for record in records:
            mapping = mappings.get(record.id)
            if mapping is None or mapping.status is not MappingStatus.LINKED:
                unmapped.append(record)
            else:
                unmapped += _sync_mapped(step, record, mapping)
    _stage(step, side, unmapped)
    return {r.id for r in unmapped}


def _applied_already(record: SourceRecord, mapping: Mapping, *, summary: bool) -> bool:
    """De-duplicates by (id, change time): a newer version was applied already, or this very one
    where checking it would cost a call (a contact summary). A record read in full is checked by its
    hash when its time equals the applied one, so a change in the same second as our write counts."""
    applied = mapping.crm_modified if record.side is Side.CRM else mapping.inventory_modified
    if record.modified is None or applied is None:
        return False
    return record.modified <= applied if summary else record.modified < applied


def _is_summary(step: Step, record: SourceRecord) -> bool:
    return record.side is Side.INVENTORY and step.module is not Module.ITEMS


def _sync_mapped(step: Step, record: SourceRecord, mapping: Mapping) -> list[SourceRecord]:
    """Syncs one mapped record; returns the contact persons it brought that have no mapping yet."""
    unmapped: list[SourceRecord] = []
    source = record
    if record.side is Side.INVENTORY and step.module is not Module.ITEMS:
        try:
            full = inventory_writes.get(step.clients.inventory, step.module, record.id)
        except NotFound:
            return []  # deleted since the list was read
        source = from_inventory(step.module, full)
        unmapped = _persons_to_sync(step, full) if with_persons(step, source) else []
    _plan_and_apply(step, source, mapping)
    return unmapped


def _plan_and_apply(step: Step, source: SourceRecord, mapping: Mapping) -> None:
    planned = reapply.to_plan(step.reapply, mapping, source.side)
    other = _other_side(step, source, planned) if needs_other(step.ctx, source, planned) else None
    decision = plan_record(step.ctx, source, planned, other, [])
    inventory_values = source.values if source.side is Side.INVENTORY else (other.values if other else None)
    unchanged = decision.outcome is Outcome.SKIPPED and decision.mapping is None
    then = partial(_remember_version, step, source) if unchanged else None
    step.applier.submit(decision, mapping, inventory_values, then)


def _remember_version(step: Step, source: SourceRecord, mapping: Mapping | None) -> None:
    """A change that needed nothing (same mapped fields) still moves the applied version, so the next
    read recognises it without fetching the record again."""
    if mapping is None:
        return
    name = f"{source.side.value}_modified"
    applied = getattr(mapping, name)
    if source.modified is None or (applied is not None and source.modified <= applied):
        return
    try:
        step.store.update_mapping(mapping.model_copy(update={name: source.modified}))
    except (ConflictError, NotFoundError):
        pass


def _other_side(step: Step, source: SourceRecord, mapping: Mapping) -> SourceRecord | None:
    """The mapped record on the other side as it is now; None when it is gone."""
    kind = RecordKind(mapping.record_kind) if mapping.record_kind else source.kind
    try:
        if source.side is Side.INVENTORY:
            crm_module = CRM_MODULE[kind]
            record = step.clients.crm.get_record(
                crm_module, str(mapping.crm_id), crm_fields(step.ctx, crm_module)
            )
            return from_crm_as(kind, record)
        inventory_id = str(mapping.inventory_id)
        if kind is RecordKind.PERSON:
            contact_id, _ = inventory_writes.person_id_of(inventory_id)
            contact = step.clients.inventory.get_contact(contact_id)
            return next((p for p in persons_of(contact) if p.id == inventory_id), None)
        return from_inventory(
            step.module, inventory_writes.get(step.clients.inventory, step.module, inventory_id)
        )
    except NotFound:
        return None


def with_persons(step: Step, source: SourceRecord) -> bool:
    return source.kind is RecordKind.ACCOUNT and step.settings.crm_source is CrmSource.ACCOUNTS_AND_CONTACTS


def _persons_to_sync(step: Step, contact) -> list[SourceRecord]:
    """A business customer's contact persons: the mapped ones are synced, the others returned."""
    persons = with_parents(step, Side.INVENTORY, persons_of(contact))
    mappings = step.store.get_mappings(
        step.integration_id, step.module, Side.INVENTORY, [p.id for p in persons]
    )
    unmapped = []
    for person in persons:
        mapping = mappings.get(person.id)
        if mapping is None or mapping.status is not MappingStatus.LINKED:
            unmapped.append(person)
        else:
            _plan_and_apply(step, person, mapping)
    return unmapped


def _stage(step: Step, side: Side, records: list[SourceRecord]) -> None:
    if not records:
        return
    _index(step, side, records)
    step.store.stage_records(step.run.run_id, records)
    step.staged += len(records)


def _index(step: Step, side: Side, records: list[SourceRecord]) -> None:
    entries = [(key, r) for r in records if (key := match_key(step.ctx, r))]
    if entries:
        step.store.put_match_entries(step.integration_id, step.module, side, entries)


def with_parents(step: Step, side: Side, records: list[SourceRecord]) -> list[SourceRecord]:
    """Contact persons with their parent's id on the other side (`linked_parent_id`), from the
    parent's mapping; a person whose parent is not synced yet keeps None (the planner defers it)."""
    parent_ids = {r.parent_id for r in records if r.kind is RecordKind.PERSON and r.parent_id}
    if not parent_ids:
        return records
    parents = step.store.get_mappings(step.integration_id, step.module, side, list(parent_ids))
    return [
        r.model_copy(update={"linked_parent_id": parents[r.parent_id].id_on(side.other)})
        if r.kind is RecordKind.PERSON
        and r.parent_id in parents
        and parents[r.parent_id].crm_id
        and parents[r.parent_id].inventory_id
        else r
        for r in records
    ]
