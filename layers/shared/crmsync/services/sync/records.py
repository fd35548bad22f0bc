"""Vendor records as the planner's `SourceRecord`s."""

from __future__ import annotations

from typing import Any

from crmsync.domain.models import CrmSource, Module, ModuleSettings, Side
from crmsync.domain.sync.model import RecordKind, SourceRecord
from crmsync.ports.crm import CrmRecord
from crmsync.ports.inventory import InventoryRecord
from crmsync.services.sync.kinds import inventory_kind


def lookup_id(value: Any) -> str | None:
    """The id of a CRM lookup value (`{"id": ..., "name": ...}`), or None."""
    if isinstance(value, dict) and value.get("id"):
        return str(value["id"])
    return None


def crm_kind(module: Module, crm_module: str, settings: ModuleSettings, values: dict[str, Any]) -> RecordKind:
    """M1: Accounts are accounts; a Contact is a contact person of its account when accounts and
    their contacts are synced, otherwise (Contacts source, or no account) an individual customer."""
    if module is Module.VENDORS:
        return RecordKind.VENDOR
    if module is Module.ITEMS:
        return RecordKind.PRODUCT
    if crm_module == "Accounts":
        return RecordKind.ACCOUNT
    if settings.crm_source is CrmSource.ACCOUNTS_AND_CONTACTS and lookup_id(values.get("Account_Name")):
        return RecordKind.PERSON
    return RecordKind.CONTACT


def from_crm(module: Module, crm_module: str, settings: ModuleSettings, record: CrmRecord) -> SourceRecord:
    kind = crm_kind(module, crm_module, settings, record.values)
    parent = lookup_id(record.values.get("Account_Name")) if kind is RecordKind.PERSON else None
    return SourceRecord(
        side=Side.CRM, kind=kind, id=record.id, modified=record.modified_time, values=record.values, parent_id=parent
    )


def from_crm_as(kind: RecordKind, record: CrmRecord) -> SourceRecord:
    """A CRM record read as a given kind (an import, a re-sync)."""
    parent = lookup_id(record.values.get("Account_Name")) if kind is RecordKind.PERSON else None
    return SourceRecord(
        side=Side.CRM, kind=kind, id=record.id, modified=record.modified_time, values=record.values, parent_id=parent
    )


def from_inventory(module: Module, record: InventoryRecord) -> SourceRecord:
    return SourceRecord(
        side=Side.INVENTORY,
        kind=inventory_kind(module, record.values),
        id=record.id,
        modified=record.last_modified_time,
        values=record.values,
    )


def persons_of(contact: InventoryRecord) -> list[SourceRecord]:
    """The contact persons of a full inventory business contact, as PERSON records."""
    persons = contact.values.get("contact_persons") or []
    return [
        SourceRecord(
            side=Side.INVENTORY,
            kind=RecordKind.PERSON,
            id=f"{contact.id}/{person['contact_person_id']}",
            modified=contact.last_modified_time,
            values=person,
            parent_id=contact.id,
        )
        for person in persons
        if isinstance(person, dict) and person.get("contact_person_id")
    ]
