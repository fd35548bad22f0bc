"""Where each integration's sync stands: record mappings, change cursors, runs with their progress,
and the records that failed. Pure pydantic models (see `models` for the conventions), no I/O."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from crmsync.domain.models import (
    DomainModel,
    MappingStatus,
    Module,
    RunCounts,
    RunStatus,
    Side,
    Timestamp,
    Trigger,
)
from crmsync.domain.preview import PreviewTally


class Mapping(DomainModel):
    """The link between a CRM record and an inventory record of one module.

    A *pending* mapping is a claim: it names the record on `claim_side`, written
    before the create call on the other side. `base` holds the last synced values
    (the three-way merge base). A tombstone marks the record deleted on one side.
    """

    integration_id: str
    module: Module
    crm_id: str | None = None
    inventory_id: str | None = None
    status: MappingStatus = MappingStatus.LINKED
    claim_side: Side | None = None
    origin: Side | None = None  # where the record was first created; None when linked as a duplicate
    record_kind: str | None = None  # crmsync.domain.sync.model.RecordKind value
    crm_hash: str | None = None
    inventory_hash: str | None = None
    base: dict[str, Any] = Field(default_factory=dict)
    settings_version: int | None = None  # the preferences version `base` and the hashes were planned with
    crm_modified: Timestamp | None = None
    inventory_modified: Timestamp | None = None
    tombstone_side: Side | None = None
    tombstone_at: Timestamp | None = None
    recent_writes: tuple[Timestamp, ...] = ()  # B9: the sync's writes to the pair within the loop window
    loop_parked_at: Timestamp | None = None  # B9: parked as a suspected update loop until retried
    updated_at: Timestamp | None = None
    version: int = 0

    def id_on(self, side: Side) -> str | None:
        return self.crm_id if side is Side.CRM else self.inventory_id

    @model_validator(mode="after")
    def _complete(self) -> Mapping:
        if self.status is MappingStatus.LINKED and not (self.crm_id and self.inventory_id):
            raise ValueError("a linked mapping needs both the CRM id and the inventory id")
        if self.status is MappingStatus.PENDING and not (self.claim_side and self.id_on(self.claim_side)):
            raise ValueError("a pending mapping needs claim_side and the id on that side")
        if (self.tombstone_side is None) != (self.tombstone_at is None):
            raise ValueError("tombstone_side and tombstone_at go together")
        return self


class Cursor(DomainModel):
    """How far change detection has read one side of one module (a modified-time watermark)."""

    integration_id: str
    module: Module
    side: Side
    position: Timestamp
    updated_at: Timestamp


class CallsLeft(DomainModel):
    """Calls left in each vendor's budget, as far as the process that saved the progress knew."""

    crm: int | None = None
    inventory: int | None = None


class RunProgress(DomainModel):
    """Where a run is, for a console to show (`services.sync.progress` says how it is measured)."""

    phase: str
    read: int = 0
    written: int = 0
    total: int | None = None
    budget: CallsLeft = CallsLeft()
    eta_seconds: int | None = None
    updated_at: Timestamp
    waiting_until: Timestamp | None = None  # a vendor's call budget is spent until then: the run waits
    waiting_for: str | None = None  # whose budget, in words ("the inventory's daily calls")


class RunNote(DomainModel):
    """Something that happened to a run on its way, in words an admin can act on: a step taken over
    after its worker stopped, a step tried again after a vendor failure, calls a vendor made us retry."""

    at: Timestamp
    step: int
    kind: Literal["resumed", "step_retried", "vendor_retries"]
    message: str


MAX_RUN_NOTES = 20  # the newest are kept; a run that needs more has one cause, repeated


class SyncRun(DomainModel):
    """One run of one module, as listed in the run history (S5)."""

    integration_id: str
    run_id: str
    module: Module
    trigger: Trigger
    status: RunStatus = RunStatus.QUEUED
    preferences_version: int
    queued_at: Timestamp
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    counts: RunCounts = RunCounts()
    error: str | None = None
    step: int = 0  # the next step to run; a queue message for another step is stale
    phase: str | None = None  # where the run is (runtime-defined, e.g. "index", "crm", "inventory")
    page_cursor: str | None = None  # the listing position of the next step within the phase
    failure_count: int | None = None  # records that failed in the run; None: stored before they were counted
    progress: RunProgress | None = None  # as of the last step saved
    preview: PreviewTally | None = None  # a preview run's outcomes so far (B2); None for other runs
    notes: tuple[RunNote, ...] = ()  # oldest first, at most MAX_RUN_NOTES

    def noted(self, note: RunNote) -> SyncRun:
        """The run with `note` added (the oldest dropped past MAX_RUN_NOTES)."""
        return self.model_copy(update={"notes": (*self.notes, note)[-MAX_RUN_NOTES:]})


class Failure(DomainModel):
    """A record that failed to sync; open until the record later syncs."""

    integration_id: str
    run_id: str
    module: Module
    side: Side
    record_id: str
    reason: str
    first_seen: Timestamp
    last_seen: Timestamp
    record_kind: str | None = None  # RecordKind value: where a retry reads the record again
