"""Both sides' records in one canonical form (see `model`), and canonical changes back to each side.

Choices the runtime and the README rely on:
- The field map is the default map of `field_catalog` for the module and customer source, then
  the admin's pairs (M6), then for items the Goods/Services picklist to `product_type` (M7). An
  admin pair replaces a default pair that fills the same inventory field. Admin pairs belong to
  the first CRM module the source reads (Accounts for "accounts and their contacts").
- A CRM field mapped to several inventory fields (`Account_Name` to `contact_name` and
  `company_name`) fills all of them when read, and is written from the first of them only (the
  display name); an inventory field is filled by one CRM field per record kind.
- A CRM Contact's `Full_Name` is derived from `First_Name` and `Last_Name` as the CRM does, and is
  never written.
- Contacts are read from full records (`GET /contacts/{id}`): a listing lacks the addresses and
  contact persons, so its canonical form (and hash) differs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from crmsync.domain.field_catalog import (
    INVENTORY_ENTITY,
    INVENTORY_STANDARD_FIELDS,
    FieldKind,
    crm_modules,
    custom_field_name,
    default_map,
)
from crmsync.domain.models import Module, ModuleSettings, Side
from crmsync.domain.sync.field_views import KindView, Place, Reader, view_of
from crmsync.domain.sync.model import Canonical, PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.values import PRODUCT_TYPE_PATH, canonical_value, crm_value, inventory_value, stable

# The read-only copies of the primary person's fields on a listed contact (zoho-api.md §2.4).
LISTED_PERSON_KEYS = ("first_name", "last_name", "email", "phone", "mobile")
CLEARED = ""  # what an inventory update sends to empty a field (null leaves it as it is)


def resolve_context(
    integration_id: str,
    module: Module,
    settings: ModuleSettings,
    preferences_version: int,
    two_way: bool,
    custom_kinds: dict[str, str] | None = None,
    as_of: datetime | None = None,
) -> PlanContext:
    """The planner's context; `custom_kinds` gives the kind of each inventory custom field by name."""
    field_map = _field_map(module, settings)
    standard = {f.name: f.kind.value for f in INVENTORY_STANDARD_FIELDS[INVENTORY_ENTITY[module]]}
    known = standard | (custom_kinds or {})
    return PlanContext(
        integration_id=integration_id,
        module=module,
        settings=settings,
        preferences_version=preferences_version,
        two_way=two_way,
        field_map=field_map,
        kinds={path: known.get(path, FieldKind.TEXT.value) for _, _, path in field_map},
        as_of=as_of,
    )


def _field_map(module: Module, settings: ModuleSettings) -> tuple[tuple[str, str, str], ...]:
    pairs = [(p.crm_module, p.crm, p.inventory) for p in default_map(module, settings.crm_source)]
    first_read = crm_modules(module, settings.crm_source)[0]
    chosen = [(first_read, pair.crm, pair.inventory) for pair in settings.field_map]
    if module is Module.ITEMS and settings.product_type_field:
        chosen.append(("Products", settings.product_type_field, PRODUCT_TYPE_PATH))
    for crm_module, crm_field, path in chosen:
        pairs = [p for p in pairs if not (p[0] == crm_module and p[2] == path)]
        pairs.append((crm_module, crm_field, path))
    return tuple(pairs)


def to_canonical(ctx: PlanContext, record: SourceRecord) -> Canonical:
    """The record's mapped fields, every path of its kind present (None when empty)."""
    view = view_of(ctx, record.kind)
    if record.side is Side.CRM:
        return _from_crm(view, record.values)
    return _from_inventory(view, record.values)


def crm_canonical_after(
    ctx: PlanContext, record_kind: RecordKind, values: dict[str, Any], payload: dict[str, Any]
) -> Canonical:
    """What the CRM record will read as once `payload` is written over `values` ({} for a create)."""
    return _from_crm(view_of(ctx, record_kind), {**values, **payload})


def record_hash(canonical: Canonical) -> str:
    """A stable hash of the filled fields: key order, 5 vs 5.0 and empty fields do not matter."""
    filled = sorted((key, norm) for key, value in canonical.items() if (norm := stable(value)) is not None)
    text = json.dumps(filled, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def to_crm_payload(ctx: PlanContext, record_kind: RecordKind, changes: Canonical) -> dict[str, Any]:
    """The CRM record body (API names) that sets `changes`; a None value is sent as null, which
    clears the field in the CRM (a create's changes carry no None).

    A PERSON's account (`Account_Name` lookup) is not part of it: the runtime adds it from the
    write's `parent_id`.
    """
    view = view_of(ctx, record_kind)
    return {
        crm_field: None if changes[path] is None else crm_value(path, changes[path])
        for crm_field, path in view.crm_writes
        if path in changes
    }


def to_inventory_payload(
    ctx: PlanContext, record_kind: RecordKind, changes: Canonical, existing: dict[str, Any] | None
) -> dict[str, Any]:
    """The inventory JSON that sets `changes` on a contact, contact person or item.

    `existing` is the current record for an update (a full contact when contact person fields
    change) and None for a create, which also sets `contact_type` and `customer_sub_type`. A create
    leaves empty values out; an update sends a None value as "" (the inventory ignores null, and ""
    empties a text field, an address line, a contact person's field or a custom field). An item's
    `status` comes as `active`/`inactive`: the inventory changes it only through
    `POST /items/{id}/active|inactive`, so the runtime moves it there.
    """
    view = view_of(ctx, record_kind)
    sent: list[tuple[Reader, Any]] = []
    for reader in view.readers:
        value = changes.get(reader.path)
        if value is not None:
            sent.append((reader, inventory_value(reader.path, value)))
        elif reader.path in changes and existing is not None:
            sent.append((reader, CLEARED))
    if record_kind is RecordKind.PERSON:
        return {reader.key: value for reader, value in sent}
    payload: dict[str, Any] = {}
    person: dict[str, Any] = {}
    custom: list[dict[str, Any]] = []
    for reader, value in sent:
        if reader.place is Place.NESTED:
            payload.setdefault(reader.key, {})[reader.sub] = value
        elif reader.place is Place.PERSON:
            person[reader.key] = value
        elif reader.place is Place.CUSTOM:
            custom.append({"api_name": reader.key, "value": value})
        else:
            payload[reader.key] = value
    if existing is not None:
        _keep_existing_objects(payload, existing)
    if person:
        payload["contact_persons"] = _persons(existing, person)
    if custom:
        payload["custom_fields"] = custom
    if existing is None and record_kind is not RecordKind.PRODUCT:
        payload["contact_type"] = "vendor" if record_kind is RecordKind.VENDOR else "customer"
        if record_kind is not RecordKind.VENDOR:
            individual = record_kind is RecordKind.CONTACT
            payload["customer_sub_type"] = "individual" if individual else "business"
    return payload


def full_name(values: dict[str, Any]) -> str:
    """A CRM Contact's name as the CRM derives `Full_Name`."""
    parts = (values.get("First_Name"), values.get("Last_Name"))
    return " ".join(str(part).strip() for part in parts if part is not None and str(part).strip())


def _from_crm(view: KindView, values: dict[str, Any]) -> Canonical:
    if view.crm_module == "Contacts":
        values = {**values, "Full_Name": full_name(values) or values.get("Full_Name")}
    return {
        path: canonical_value(view.kinds[path], path, values.get(crm_field)) for crm_field, path in view.pairs
    }


def _from_inventory(view: KindView, values: dict[str, Any]) -> Canonical:
    person: dict[str, Any] | None = None
    custom: dict[str, Any] | None = None
    canonical: Canonical = {}
    for reader in view.readers:
        if reader.place is Place.TOP or reader.place is Place.SELF:
            raw = values.get(reader.key)
        elif reader.place is Place.NESTED:
            nested = values.get(reader.key)
            raw = nested.get(reader.sub) if isinstance(nested, dict) else None
        elif reader.place is Place.PERSON:
            person = _primary_person(values) if person is None else person
            raw = person.get(reader.key)
        else:
            custom = _custom_values(values) if custom is None else custom
            raw = custom.get(reader.key)
        canonical[reader.path] = canonical_value(view.kinds[reader.path], reader.path, raw)
    return canonical


def _primary(persons: list[Any]) -> dict[str, Any] | None:
    people = [p for p in persons if isinstance(p, dict)]
    return next((p for p in people if p.get("is_primary_contact")), people[0] if people else None)


def _primary_person(values: dict[str, Any]) -> dict[str, Any]:
    persons = values.get("contact_persons")
    if isinstance(persons, list):
        return _primary(persons) or {}
    return {key: values.get(key) for key in LISTED_PERSON_KEYS}


def _custom_values(values: dict[str, Any]) -> dict[str, Any]:
    """Custom field values by cf_ name, from `custom_fields` (api_name or label) or `custom_field_hash`."""
    found: dict[str, Any] = {}
    for entry in values.get("custom_fields") or ():
        if isinstance(entry, dict) and (entry.get("api_name") or entry.get("label")):
            found[custom_field_name(entry.get("api_name"), entry.get("label") or "")] = entry.get("value")
    by_name = values.get("custom_field_hash")
    if not found and isinstance(by_name, dict):
        found = dict(by_name)
    return found


def _keep_existing_objects(payload: dict[str, Any], existing: dict[str, Any]) -> None:
    """An address is sent whole: the changed keys over the record's current address."""
    for key, changed in payload.items():
        current = existing.get(key)
        if isinstance(changed, dict) and isinstance(current, dict):
            payload[key] = {**current, **changed}


def _persons(existing: dict[str, Any] | None, person: dict[str, Any]) -> list[dict[str, Any]]:
    """`contact_persons` that sets `person` on the primary contact person and keeps the others.

    A contact update's list is the whole list (a person left out is deleted), so every current
    person is named by id; without a primary person, a new primary one is added.
    """
    if existing is None:
        return [{**person, "is_primary_contact": True}]
    persons = existing.get("contact_persons")
    if not isinstance(persons, list):
        raise ValueError("contact person changes need the full contact, with its contact_persons")
    primary = _primary(persons)
    kept = [
        {"contact_person_id": p["contact_person_id"], **(person if p is primary else {})}
        for p in persons
        if isinstance(p, dict) and p.get("contact_person_id")
    ]
    return kept if primary is not None else [{**person, "is_primary_contact": True}]
