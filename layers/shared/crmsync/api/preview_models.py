"""Bodies of the preview routes (B2): a preview's tally on its run, and its samples a page at a time."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from crmsync.domain.preview import PreviewOutcome, PreviewSample, PreviewTally


class PreviewTallyOut(BaseModel):
    """How many records the previewed run would create on each side, link as duplicates (overwrite),
    overwrite (linked pairs whose changes it would write), skip, or have refused; `conflicts` counts
    besides the records whose pair changed the same field on both sides."""

    created_in_crm: int
    created_in_inventory: int
    linked: int
    overwritten: int
    skipped: int
    conflicts: int
    refused: int

    @classmethod
    def of(cls, tally: PreviewTally | None) -> PreviewTallyOut | None:
        return None if tally is None else cls(**tally.model_dump())


class FieldChangeOut(BaseModel):
    side: Literal["crm", "inventory"]
    field: str = Field(description="The inventory field path the mapping names the field by")
    value: Any = None


class FieldConflictOut(BaseModel):
    field: str
    crm_value: Any = None
    inventory_value: Any = None
    winner: Literal["crm", "inventory"]


class PreviewSampleOut(BaseModel):
    """One record of an outcome, as read on `side`; both sides' names as they are now (null: no
    record there yet, or not read), the fields the run would set, and why it would skip or fail."""

    outcome: PreviewOutcome
    side: Literal["crm", "inventory"]
    record_id: str
    record_kind: str
    crm_name: str | None
    inventory_name: str | None
    changes: list[FieldChangeOut]
    conflicts: list[FieldConflictOut]
    reason: str | None

    @classmethod
    def of(cls, sample: PreviewSample) -> PreviewSampleOut:
        plain = sample.model_dump(mode="json", exclude={"seq"})
        return cls(**plain)


class PreviewSampleList(BaseModel):
    """Up to 50 samples per outcome, by outcome; `tally` counts every record, sampled or not."""

    run_id: str
    tally: PreviewTallyOut
    samples: list[PreviewSampleOut]
    next_cursor: str | None = None
