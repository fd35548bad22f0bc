"""A preview (B2): what a run with given preferences would do, planned without writing anything.

Every record the run would decide about lands in exactly one outcome: created in the CRM, created in
inventory, linked as a duplicate (overwrite policy: the CRM values are written over the inventory
record's), overwritten (a linked pair whose changes would be written over the other side's values),
skipped (no change, policy, no name, fetch-only, deferred), or refused. `conflicts` counts, besides,
the records whose pair changed the same field on both sides. The run's `RunCounts` are those a real
run would report: added = both creates, updated = linked + overwritten, skipped, failed = refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from crmsync.domain.models import DomainModel, Side

SAMPLES_PER_OUTCOME = 50


class PreviewOutcome(StrEnum):
    CREATED_IN_CRM = "created_in_crm"
    CREATED_IN_INVENTORY = "created_in_inventory"
    LINKED = "linked"
    OVERWRITTEN = "overwritten"
    SKIPPED = "skipped"
    CONFLICTS = "conflicts"
    REFUSED = "refused"


class PreviewTally(DomainModel):
    """How many records a preview found in each outcome (`conflicts` overlaps the others)."""

    created_in_crm: int = 0
    created_in_inventory: int = 0
    linked: int = 0
    overwritten: int = 0
    skipped: int = 0
    conflicts: int = 0
    refused: int = 0

    def of(self, outcome: PreviewOutcome) -> int:
        return getattr(self, outcome.value)

    def plus(self, outcome: PreviewOutcome, count: int = 1) -> PreviewTally:
        return self.model_copy(update={outcome.value: self.of(outcome) + count})


class FieldChange(DomainModel):
    """A field the run would set on `side`, with the value it would get."""

    side: Side
    field: str  # the inventory field path (the mapping's canonical name)
    value: Any = None


class FieldConflictSample(DomainModel):
    field: str
    crm_value: Any = None
    inventory_value: Any = None
    winner: Side


class PreviewSample(DomainModel):
    """One record of an outcome, as read on `side`, with both sides' names as they are now (None:
    no record there yet, or not known without reading it) and the fields that would change."""

    outcome: PreviewOutcome
    seq: int = Field(ge=0)  # its place among the outcome's samples
    side: Side
    record_id: str
    record_kind: str
    crm_name: str | None = None
    inventory_name: str | None = None
    changes: tuple[FieldChange, ...] = ()
    conflicts: tuple[FieldConflictSample, ...] = ()
    reason: str | None = None
