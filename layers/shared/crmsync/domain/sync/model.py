"""The data the sync planner works on: the contract between the pure core and the runtime.

The runtime (`crmsync.services.sync`) reads pages of vendor records, turns them into
`SourceRecord`s, looks up their mappings and match candidates, asks the planner
(`crmsync.domain.sync.planner.plan_record`) for a `Decision` per record, and carries the
decision out through the vendor ports and the store. The planner does no I/O.

Canonical values: a record's mapped fields as a flat dict keyed by the *inventory field path*
of `crmsync.domain.field_catalog` (`contact_name`, `billing_address.city`,
`contact_person.email`, `cf_tier`, `rate`, ...), with normalized values (strings stripped,
numbers as Decimal-safe floats or strings, booleans as bool, dates as ISO strings, empty as
None). Both sides convert into this form, so hashes and the three-way merge compare like with like.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmsync.domain.models import Module, ModuleSettings, Side
from crmsync.domain.sync_state import Mapping

Canonical = dict[str, Any]


class RecordKind(StrEnum):
    ACCOUNT = "account"  # CRM Account <-> inventory customer (business)
    CONTACT = "contact"  # CRM Contact <-> inventory customer (individual), Contacts source or orphans
    PERSON = "person"  # CRM Contact of an Account <-> contact person of that Account's customer
    VENDOR = "vendor"  # CRM Vendor <-> inventory vendor contact
    PRODUCT = "product"  # CRM Product <-> inventory item


class SourceRecord(BaseModel):
    """One record as read from one side, in that side's own field names."""

    model_config = ConfigDict(frozen=True)

    side: Side
    kind: RecordKind
    id: str  # for a PERSON on the inventory side: "{contact_id}/{contact_person_id}"
    modified: datetime | None = None
    values: dict[str, Any]
    parent_id: str | None = None  # CRM: the Account id of a PERSON; inventory: the contact id of a person
    # A PERSON's parent on the other side (inventory contact id / CRM account id), filled by the
    # runtime from the parent's mapping; None while the parent is not synced (the planner defers).
    linked_parent_id: str | None = None


class PlanContext(BaseModel):
    """What the planner needs to know about the integration and module (fixed for a run)."""

    model_config = ConfigDict(frozen=True)

    integration_id: str
    module: Module
    settings: ModuleSettings
    preferences_version: int
    two_way: bool  # direction two_way AND a primary integration: only then may the CRM be written
    field_map: tuple[tuple[str, str, str], ...] = ()  # resolved (crm_module, crm_field, inventory_path)
    kinds: dict[str, str] = Field(default_factory=dict)  # inventory_path -> FieldKind value, for conversion
    as_of: datetime | None = None  # when the run planned; a tombstone of a record without a change time


class WriteKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"


class Write(BaseModel):
    """A change to make on `side`; `changes` are canonical values of only the fields to set."""

    model_config = ConfigDict(frozen=True)

    side: Side
    kind: WriteKind
    record_kind: RecordKind
    record_id: str | None = None  # None for CREATE
    parent_id: str | None = None  # a PERSON's parent on that side (CRM account id / inventory contact id)
    changes: Canonical


class FieldConflict(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    crm_value: Any
    inventory_value: Any
    winner: Side


class Outcome(StrEnum):
    ADDED = "added"  # a record was created on the other side
    UPDATED = "updated"  # changes were written to one or both sides
    LINKED = "linked"  # matched as a duplicate and linked (overwrite policy)
    SKIPPED = "skipped"  # nothing to do (echo, no change, policy, tombstone, fetch-only)
    DEFERRED = "deferred"  # cannot be done yet (a PERSON whose account is not synced yet)


class Decision(BaseModel):
    """What to do with one source record, and the mapping state once it is done.

    `mapping` is the mapping to store after the writes succeed; for a CREATE its id on the
    target side is unknown until the create returns, and the runtime fills it in. `reason`
    explains a SKIPPED/DEFERRED outcome in words a person understands.
    """

    model_config = ConfigDict(frozen=True)

    source: SourceRecord
    outcome: Outcome
    writes: tuple[Write, ...] = ()
    mapping: Mapping | None = None
    conflicts: tuple[FieldConflict, ...] = ()
    reason: str | None = None
    # B9: the pair is parked as a suspected update loop (SKIPPED, nothing written, `reason` says why
    # with both sides' values); the runtime stores `mapping` and records the record as failed.
    loop_suspected: bool = False
