"""Bodies of the sync routes: instant sync (S3), run history (S5), re-sync (S4), CRM contacts (W1),
CRM search and import (W2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from crmsync.api.module_models import ProgressOut, RunCountsOut
from crmsync.api.preview_models import PreviewTallyOut
from crmsync.contracts.strict import Strict
from crmsync.domain.models import Module, RunStatus, Trigger
from crmsync.domain.sync_state import Failure, SyncRun
from crmsync.ports.inventory import InventoryRecord


class SyncIn(Strict):
    """Body of `POST /integrations/{id}/sync`; no modules: every configured module."""

    modules: list[Module] | None = Field(default=None, max_length=3)


class StartedRunOut(BaseModel):
    run_id: str
    module: Module
    status: RunStatus


class SyncAccepted(BaseModel):
    runs: list[StartedRunOut]


class FailureOut(BaseModel):
    side: Literal["crm", "inventory"]
    record_id: str
    reason: str

    @classmethod
    def of(cls, failure: Failure) -> FailureOut:
        return cls(side=failure.side.value, record_id=failure.record_id, reason=failure.reason)


class OpenFailureOut(BaseModel):
    """A record that failed to sync and has not synced since (open until it does)."""

    module: Module
    side: Literal["crm", "inventory"]
    record_id: str
    reason: str
    run_id: str
    first_seen: datetime
    last_seen: datetime

    @classmethod
    def of(cls, failure: Failure) -> OpenFailureOut:
        return cls(
            module=failure.module.value,
            side=failure.side.value,
            record_id=failure.record_id,
            reason=failure.reason,
            run_id=failure.run_id,
            first_seen=failure.first_seen,
            last_seen=failure.last_seen,
        )


class OpenFailureList(BaseModel):
    failures: list[OpenFailureOut]
    next_cursor: str | None = None


class RunFailureList(BaseModel):
    """A run's failures, a page at a time (`GET .../runs/{run_id}/failures`)."""

    failures: list[FailureOut]
    next_cursor: str | None = None


class RunNoteOut(BaseModel):
    """Something that happened to a run on its way (a step taken over after its worker stopped, tried
    again after a vendor failure, calls a vendor made us repeat), in words."""

    at: datetime
    step: int
    kind: Literal["resumed", "step_retried", "vendor_retries"]
    message: str


class RunOut(BaseModel):
    """One run of the history (S5): `failure_count` records failed in it (listed by
    `GET .../runs/{run_id}/failures`); `progress` is null for a run stored before progress was kept."""

    run_id: str
    module: Module
    trigger: Trigger
    status: RunStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None
    counts: RunCountsOut
    error: str | None = None
    failure_count: int
    progress: ProgressOut | None = None
    preview: PreviewTallyOut | None = Field(
        default=None, description="A preview's outcomes (B2, trigger preview); null for other runs"
    )
    notes: list[RunNoteOut] = Field(
        default_factory=list, description="What happened to the run on its way, oldest first (the last 20)"
    )

    @classmethod
    def of(cls, run: SyncRun) -> RunOut:
        return cls(
            run_id=run.run_id,
            module=run.module,
            trigger=run.trigger,
            status=run.status,
            started_at=run.started_at,
            ended_at=run.ended_at,
            counts=RunCountsOut.of(run.counts),
            error=run.error,
            # a run stored before failures were counted: its failed outcomes
            failure_count=run.counts.failed if run.failure_count is None else run.failure_count,
            progress=ProgressOut.of(run.progress),
            preview=PreviewTallyOut.of(run.preview),
            notes=[RunNoteOut(**note.model_dump()) for note in run.notes],
        )


class RunList(BaseModel):
    runs: list[RunOut]
    next_cursor: str | None = None


class ContactOut(BaseModel):
    """An inventory customer or vendor, as the contact routes answer it."""

    contact_id: str
    contact_name: str | None = None
    contact_type: str | None = None
    customer_sub_type: str | None = None
    company_name: str | None = None
    email: str | None = None
    status: str | None = None
    last_modified_time: datetime | None = None

    @classmethod
    def of(cls, record: InventoryRecord) -> ContactOut:
        values: dict[str, Any] = record.values
        return cls(
            contact_id=record.id,
            contact_name=values.get("contact_name"),
            contact_type=values.get("contact_type"),
            customer_sub_type=values.get("customer_sub_type"),
            company_name=values.get("company_name") or None,
            email=values.get("email") or None,
            status=values.get("status"),
            last_modified_time=record.last_modified_time,
        )


class CrmContactOut(BaseModel):
    """A customer or vendor that came from the CRM (W1)."""

    inventory_contact_id: str
    name: str | None = None
    crm_id: str
    crm_module: str
    origin: Literal["crm", "inventory"] | None = None


class CrmContactList(BaseModel):
    contacts: list[CrmContactOut]
    next_cursor: str | None = None


class CrmRecordOut(BaseModel):
    """A CRM record a search found (W2); `inventory_contact_id` is set when it is imported already.
    An accounts search lists each account followed by its contacts (`module` contacts,
    `account_crm_id` the account)."""

    crm_id: str
    module: Literal["accounts", "contacts", "vendors"]
    name: str
    values: dict[str, Any]
    inventory_contact_id: str | None = None
    account_crm_id: str | None = None


class CrmSearchOut(BaseModel):
    records: list[CrmRecordOut]


class ImportIn(Strict):
    """Body of `POST /integrations/{id}/crm/import` (W2)."""

    module: Literal["accounts", "contacts", "vendors"]
    crm_id: str = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_-]+$")


class ImportedOut(BaseModel):
    crm_id: str
    module: Literal["accounts", "contacts", "vendors"]
    contact: ContactOut
