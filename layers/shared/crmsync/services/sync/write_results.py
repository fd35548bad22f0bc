"""What one vendor write left on its side (`Written`), or why the side refused that record
(`RecordRefused`, in words a person understands); and which vendor errors fail the step instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crmsync.domain.models import Module
from crmsync.domain.sync.model import RecordKind, Write
from crmsync.ports.crm import WriteOutcome
from crmsync.ports.errors import (
    AuthorizationExpired,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
    VendorError,
)
from crmsync.ports.inventory import InventoryPort
from crmsync.services.sync import inventory_writes

NOUN = {
    RecordKind.ACCOUNT: "account",
    RecordKind.CONTACT: "contact",
    RecordKind.PERSON: "contact person",
    RecordKind.VENDOR: "vendor",
    RecordKind.PRODUCT: "product",
}
INVENTORY_NOUN = {
    RecordKind.ACCOUNT: "customer",
    RecordKind.CONTACT: "customer",
    RecordKind.PERSON: "contact person",
    RecordKind.VENDOR: "vendor",
    RecordKind.PRODUCT: "item",
}


class RecordRefused(Exception):
    """A side refused one record's write; `reason` says why in words a person understands."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Written:
    """What a write left on its side: the record id, its change time, and its values when known."""

    record_id: str
    modified: datetime | None = None
    values: dict[str, Any] | None = None


def from_crm(write: Write, outcome: WriteOutcome) -> Written:
    """The CRM's outcome of one record of a write (alone or in a batch)."""
    if not outcome.ok:
        raise RecordRefused(crm_refusal(write.record_kind, outcome))
    modified = outcome.details.get("Modified_Time")
    return Written(str(outcome.id or write.record_id), _timestamp(modified), None)


def create_in_inventory(
    inventory: InventoryPort, module: Module, write: Write, payload: dict[str, Any]
) -> Written:
    try:
        if write.record_kind is RecordKind.PERSON:
            person = inventory_writes.write_person(inventory, str(write.parent_id), None, payload)
            return Written(f"{write.parent_id}/{person.id}", person.last_modified_time, None)
        created = inventory_writes.create(inventory, module, payload)
    except ValidationFailed as exc:
        raise RecordRefused(
            f"inventory refused the {INVENTORY_NOUN[write.record_kind]}: {exc.message}"
        ) from None
    return Written(created.id, created.last_modified_time, created.values)


def update_in_inventory(
    inventory: InventoryPort, module: Module, write: Write, payload: dict[str, Any]
) -> Written:
    try:
        if write.record_kind is RecordKind.PERSON:
            contact_id, person_id = inventory_writes.person_id_of(str(write.record_id))
            person = inventory_writes.write_person(inventory, contact_id, person_id, payload)
            return Written(str(write.record_id), person.last_modified_time, None)
        updated = inventory_writes.update(inventory, module, str(write.record_id), payload)
    except NotFound:
        raise RecordRefused(f"the {INVENTORY_NOUN[write.record_kind]} was deleted in inventory") from None
    except ValidationFailed as exc:
        raise RecordRefused(
            f"inventory refused the {INVENTORY_NOUN[write.record_kind]}: {exc.message}"
        ) from None
    return Written(updated.id, updated.last_modified_time, updated.values)


def fails_the_step(exc: VendorError) -> bool:
    """An outage (even a create whose outcome is unknown), throttling (the daily cap too) or lost
    authorization is not the record's fault: the step fails and is retried, and a claim stays for
    the retry to resolve."""
    return exc.retryable or isinstance(exc, (AuthorizationExpired, Unavailable, RateLimited))


def crm_refusal(kind: RecordKind, outcome: WriteOutcome) -> str:
    noun = NOUN[kind]
    if outcome.code == "DUPLICATE_DATA":
        existing = outcome.details.get("id")
        return (
            f"the CRM refused the {noun}: another {noun} with the same {outcome.field or 'name'} exists"
            + (f" ({existing})" if existing else "")
        )
    what = f" ({outcome.field})" if outcome.field else ""
    return f"the CRM refused the {noun}: {outcome.message or outcome.code}{what}"


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None
