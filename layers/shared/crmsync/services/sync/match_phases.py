"""The match phases (M4): the run's staged records, those without a mapping, decided a page per step
against the other side's match index: linked to a duplicate, created on the other side, or skipped.
A page's CRM writes go in one batch (`crm_batches`), so a page of creates in the CRM is one call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crmsync.domain.models import DuplicatePolicy, MappingStatus, Module, Side
from crmsync.domain.sync.matching import match_key
from crmsync.domain.sync.model import Outcome, RecordKind, SourceRecord
from crmsync.domain.sync.planner import plan_record
from crmsync.domain.sync_state import Mapping
from crmsync.ports.crm import MAX_RECORDS_PER_WRITE
from crmsync.ports.errors import NotFound
from crmsync.ports.inventory import InventoryRecord
from crmsync.services.sync.passes import Step, with_parents, with_persons
from crmsync.services.sync.records import from_inventory, persons_of
from crmsync.services.sync.state import Position

MATCH_PAGE = MAX_RECORDS_PER_WRITE  # staged records per match step: their CRM creates fill one call


def match_phase(step: Step, side: Side, at: Position) -> Position | None:
    """Decides about the run's staged records of `side` against the other side's index (M4)."""
    page = step.store.list_staged(step.run.run_id, side, limit=MATCH_PAGE, cursor=at.cursor)
    records = with_parents(step, side, page.items)
    mapped = step.store.get_mappings(step.integration_id, step.module, side, [r.id for r in records])
    own = {record_id for record_id, m in mapped.items() if m.status is MappingStatus.LINKED}
    keys = {r.id: match_key(step.ctx, r) for r in records}
    entries = step.store.get_match_entries(
        step.integration_id, step.module, side.other, {k for k in keys.values() if k}
    )
    candidate_ids = {c.id for found in entries.values() for c in found}
    taken = set(step.store.get_mappings(step.integration_id, step.module, side.other, list(candidate_ids)))
    matching = _Matching(step, side, taken, on_page=set(keys))
    cut = False
    with step.applier.batched():
        for record in records:
            step.matched += 1
            if record.id in own:
                continue
            key = keys[record.id]
            record = matching.settled_for(record, entries.get(key, []) if key else [])
            candidates = [c for c in entries.get(key, []) if c.id not in matching.taken] if key else []
            decision, source, candidates = _decide_new(step, record, candidates)
            if decision is None:
                continue
            linked_to = decision.mapping.id_on(side.other) if decision.mapping else None
            chosen = next((c for c in candidates if c.id == linked_to), None)
            inventory_values = (
                source.values if side is Side.INVENTORY else (chosen.values if chosen else None)
            )
            step.applier.submit(decision, None, inventory_values, matching.then(record, key, source, chosen))
            if step.over_budget():
                cut = True  # the next step lists this page again; what was done here is mapped by then
                break
    for dropped_side, pairs in matching.dropped.items():
        if pairs:
            step.store.drop_match_entries(step.integration_id, step.module, dropped_side, pairs)
    if cut:
        return at
    return at.model_copy(update={"cursor": page.next_cursor}) if page.next_cursor else None


@dataclass
class _Matching:
    """A match page's pairs as their decisions are done (at once, or when their CRM batch is sent)."""

    step: Step
    side: Side
    taken: set[str]  # the other side's records paired already
    on_page: set[str]  # the ids of the page's records
    choosing: set[str] = field(default_factory=set)  # candidates chosen by decisions not done yet
    dropped: dict[Side, list[tuple[str, str]]] = field(
        default_factory=lambda: {Side.CRM: [], Side.INVENTORY: []}
    )

    def settled_for(self, record: SourceRecord, candidates: list[SourceRecord]) -> SourceRecord:
        """The record, once the waiting CRM writes its decision depends on are done: those of its
        parent decided on this page (a contact person), or of a candidate a waiting decision chose."""
        orphan = record.kind is RecordKind.PERSON and not record.linked_parent_id
        if orphan and record.parent_id in self.on_page:
            self.step.applier.settle()
            [record] = with_parents(self.step, self.side, [record])
        if any(c.id in self.choosing for c in candidates):
            self.step.applier.settle()
        return record

    def then(
        self, record: SourceRecord, key: str | None, source: SourceRecord, chosen: SourceRecord | None
    ) -> Callable[[Mapping | None], None]:
        """What a record's decision leaves once done: its pair taken, its match entries dropped, and
        the contact persons of a customer pushed to the CRM staged to follow it."""
        if chosen is not None:
            self.choosing.add(chosen.id)

        def done(stored: Mapping | None) -> None:
            if chosen is not None:
                self.choosing.discard(chosen.id)
            if stored is None or not (stored.crm_id and stored.inventory_id):
                return
            if key:
                self.dropped[self.side].append((key, record.id))
            if chosen is not None and key:
                self.taken.add(chosen.id)
                self.dropped[self.side.other].append((key, chosen.id))
            if source is not record and with_persons(self.step, source):
                _stage_persons(self.step, source)

        return done


def _decide_new(step: Step, record: SourceRecord, candidates: list[SourceRecord]):
    """The planner's decision about a record without a mapping. Inventory contacts are staged as
    list summaries: when the decision writes anything, the whole contact (and, under "overwrite",
    the whole candidate) is read and the decision made again from those."""
    decision = plan_record(step.ctx, record, None, None, candidates)
    if decision.outcome not in (Outcome.ADDED, Outcome.LINKED):
        return decision, record, candidates
    source = _full(step, record)
    if source is None:
        return None, record, candidates
    if candidates and step.settings.duplicates is DuplicatePolicy.OVERWRITE:
        candidates = [c for c in (_full(step, c) for c in candidates) if c is not None]
    if source is record and candidates is not None and all(c.side is Side.CRM for c in candidates):
        return decision, source, candidates
    return plan_record(step.ctx, source, None, None, candidates), source, candidates


def _stage_persons(step: Step, contact: SourceRecord) -> None:
    """The contact persons of a customer just pushed to the CRM follow it in this match phase."""
    record = InventoryRecord(id=contact.id, last_modified_time=contact.modified, values=contact.values)
    persons = persons_of(record)
    if persons:
        step.store.stage_records(step.run.run_id, persons)
        step.staged += len(persons)


def _full(step: Step, record: SourceRecord) -> SourceRecord | None:
    """Inventory contacts are listed as summaries: read the whole contact before deciding about it."""
    if record.side is Side.CRM or step.module is Module.ITEMS or record.kind is RecordKind.PERSON:
        return record
    try:
        return from_inventory(step.module, step.clients.inventory.get_contact(record.id))
    except NotFound:
        return None
