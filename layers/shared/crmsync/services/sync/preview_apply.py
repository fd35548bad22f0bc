"""The applier of a preview run (B2): carries the planner's decisions out as a run would, against the
preview's overlay store (`preview_store`) and without a single vendor write, and tallies and samples
what it would have done (`crmsync.domain.preview`).

A record it would create gets a stand-in id (`preview-<source id>`), so the phases after it see the
pair as mapped, exactly as they would see the real record's mapping. A create the vendor would refuse
for a unique name or SKU is found by a read (`preview_refusals`) and shows as refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmsync.domain.crm_modules import crm_module_of_kind, inventory_name
from crmsync.domain.models import RunCounts, Side
from crmsync.domain.preview import (
    SAMPLES_PER_OUTCOME,
    FieldChange,
    FieldConflictSample,
    PreviewOutcome,
    PreviewSample,
    PreviewTally,
)
from crmsync.domain.sync.model import Decision, Outcome, RecordKind, SourceRecord, Write, WriteKind
from crmsync.domain.sync_state import Mapping
from crmsync.ports.crm import WriteOutcome
from crmsync.services.sync.apply import Applier
from crmsync.services.sync.crm_batches import Then
from crmsync.services.sync.preview_refusals import foreseen_refusal
from crmsync.services.sync.write_results import Written

STAND_IN = "preview-"
FIRST_NAME, LAST_NAME = "contact_person.first_name", "contact_person.last_name"


@dataclass
class DryApplier(Applier):
    """`tally` starts at the run's tally and grows with the step; `samples` are the step's new ones."""

    tally: PreviewTally = field(default_factory=PreviewTally)
    samples: list[PreviewSample] = field(default_factory=list)
    _deciding: SourceRecord | None = None

    def apply(
        self, decision: Decision, current: Mapping | None, inventory_values: dict[str, Any] | None = None
    ) -> Mapping | None:
        self._deciding = decision.source
        failed = len(self.failures)
        refusal = self._foreseen_refusal(decision)
        if refusal is None:
            stored = super().apply(decision, current, inventory_values)
        else:  # as the run counts a refused create
            stored = None
            self.counts["conflicts"] += len(decision.conflicts)
            self.fail(decision.source, refusal)
        names = names_of(decision, inventory_values)
        if len(self.failures) > failed:
            self._note(PreviewOutcome.REFUSED, decision, names, self.failures[-1].reason)
        else:
            self._note(outcome_of(decision), decision, names, decision.reason)
        if decision.conflicts:
            self._note(PreviewOutcome.CONFLICTS, decision, names, None)
        return stored

    def _park(self, decision: Decision, parked: Mapping, current: Mapping) -> Mapping:
        """B9 in a preview: the record is shown refused as a suspected loop; nothing is parked and no
        metric is emitted (the alarm is for loops that happen, not ones a preview foresees)."""
        self.fail(decision.source, decision.reason or "Update loop suspected.")
        return current

    def flush(self) -> RunCounts:
        """Stores the step's samples. Its refusals are counted (`failed`) and sampled (`refused`), never
        stored as failures, the module's or the run's: `new_failures` stays 0."""
        if self.samples:
            self.store.put_samples(self.samples)
        return RunCounts(**{name: self.counts[name] for name in RunCounts.model_fields})

    def _note(
        self,
        outcome: PreviewOutcome,
        decision: Decision,
        names: tuple[str | None, str | None],
        reason: str | None,
    ) -> None:
        seq = self.tally.of(outcome)
        self.tally = self.tally.plus(outcome)
        if seq >= SAMPLES_PER_OUTCOME:
            return
        source = decision.source
        self.samples.append(
            PreviewSample(
                outcome=outcome,
                seq=seq,
                side=source.side,
                record_id=source.id,
                record_kind=source.kind.value,
                crm_name=names[0],
                inventory_name=names[1],
                changes=tuple(
                    FieldChange(side=write.side, field=path, value=value)
                    for write in decision.writes
                    for path, value in write.changes.items()
                ),
                conflicts=tuple(FieldConflictSample(**c.model_dump()) for c in decision.conflicts),
                reason=reason,
            )
        )

    # ------------------------------------------------------------------ no vendor writes
    def _foreseen_refusal(self, decision: Decision) -> str | None:
        create = next((w for w in decision.writes if w.kind is WriteKind.CREATE), None)
        if create is None:
            return None
        return foreseen_refusal(self.clients, self.store, create, self._payload(create), decision.source.id)

    def submit(
        self,
        decision: Decision,
        current: Mapping | None,
        inventory_values: dict[str, Any] | None = None,
        then: Then | None = None,
    ) -> None:
        """A preview sends nothing, so it batches nothing: each decision is done (and sampled) at once."""
        stored = self.apply(decision, current, inventory_values)
        if then is not None:
            then(stored)

    def _send_crm(
        self, kind: WriteKind, crm_module: str, records: list[dict[str, Any]]
    ) -> list[WriteOutcome]:
        """What the CRM would answer to a write it takes: a created record gets its stand-in id."""
        return [
            WriteOutcome(
                ok=True,
                code="SUCCESS",
                id=self._stand_in() if kind is WriteKind.CREATE else str(record["id"]),
            )
            for record in records
        ]

    def _create_in_inventory(self, write: Write, payload: dict[str, Any]) -> Written:
        if write.record_kind is RecordKind.PERSON:
            return Written(f"{write.parent_id}/{self._stand_in()}")
        return Written(self._stand_in())

    def _update_in_inventory(self, write: Write, payload: dict[str, Any]) -> Written:
        return Written(str(write.record_id))

    def _find_created(self, write: Write, payload: dict[str, Any], claim: Mapping) -> Written | None:
        return None  # nothing was created by an earlier attempt of a preview

    def _stand_in(self) -> str:
        assert self._deciding is not None
        return f"{STAND_IN}{self._deciding.id}"


def outcome_of(decision: Decision) -> PreviewOutcome:
    if decision.outcome is Outcome.ADDED:
        creates_in_crm = any(w.kind is WriteKind.CREATE and w.side is Side.CRM for w in decision.writes)
        return PreviewOutcome.CREATED_IN_CRM if creates_in_crm else PreviewOutcome.CREATED_IN_INVENTORY
    if decision.outcome is Outcome.LINKED:
        return PreviewOutcome.LINKED
    if decision.outcome is Outcome.UPDATED:
        return PreviewOutcome.OVERWRITTEN
    return PreviewOutcome.SKIPPED


def record_name(record: SourceRecord) -> str | None:
    """The record's name as its side shows it (an inventory contact person: first and last name)."""
    values = record.values
    if record.side is Side.CRM:
        return _text(values.get(crm_module_of_kind(record.kind).display_field))
    if record.kind is RecordKind.PERSON:
        return _text(f"{values.get('first_name') or ''} {values.get('last_name') or ''}")
    return _text(values.get("contact_name") or values.get("name"))


def names_of(decision: Decision, inventory_values: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(CRM name, inventory name) as they are now; None where there is no record yet or it was not read.
    A CRM record read only through its pair is named by the pair's values after the writes."""
    source = decision.source
    own = record_name(source)
    if source.side is Side.CRM:
        if inventory_values is None:
            return own, None
        other = SourceRecord(side=Side.INVENTORY, kind=source.kind, id="", values=inventory_values)
        return own, record_name(other)
    mapping = decision.mapping
    if mapping is None or not mapping.crm_id or decision.outcome is Outcome.ADDED:
        return None, own
    named = inventory_name(source.kind)
    base = mapping.base
    crm = base.get(named[0]) if named else " ".join(str(base.get(p) or "") for p in (FIRST_NAME, LAST_NAME))
    return _text(crm), own


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
