"""Creates and updates on the inventory side, by record kind (one call per record: no bulk API)."""

from __future__ import annotations

from typing import Any

from crmsync.domain.models import Module
from crmsync.ports.inventory import InventoryPort, InventoryRecord


def create(inventory: InventoryPort, module: Module, payload: dict[str, Any]) -> InventoryRecord:
    if module is Module.ITEMS:
        values, status = _split_status(payload)
        item = inventory.create_item(values)
        return _apply_status(inventory, item, status)
    return inventory.create_contact(payload)


def update(inventory: InventoryPort, module: Module, record_id: str, payload: dict[str, Any]) -> InventoryRecord:
    if module is Module.ITEMS:
        values, status = _split_status(payload)
        item = inventory.update_item(record_id, values) if values else inventory.get_item(record_id)
        return _apply_status(inventory, item, status)
    return inventory.update_contact(record_id, payload)


def _split_status(payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """An item's status changes only through its active/inactive actions, never in the body."""
    values = {k: v for k, v in payload.items() if k != "status"}
    return values, payload.get("status")


def _apply_status(inventory: InventoryPort, item: InventoryRecord, status: str | None) -> InventoryRecord:
    if status is None or item.values.get("status") == status:
        return item
    inventory.set_item_active(item.id, status == "active")
    return item.model_copy(update={"values": {**item.values, "status": status}})


def get(inventory: InventoryPort, module: Module, record_id: str) -> InventoryRecord:
    if module is Module.ITEMS:
        return inventory.get_item(record_id)
    return inventory.get_contact(record_id)


def write_person(
    inventory: InventoryPort, contact_id: str, person_id: str | None, payload: dict[str, Any]
) -> InventoryRecord:
    """Creates (no `person_id`) or updates a contact person; the answer is the person."""
    values = payload.get("contact_persons", [payload])[0] if "contact_persons" in payload else payload
    if person_id is None:
        return inventory.create_contact_person(contact_id, values)
    return inventory.update_contact_person(contact_id, person_id, values)


def person_id_of(record_id: str) -> tuple[str, str]:
    """`{contact_id}/{contact_person_id}` -> the two ids."""
    contact_id, _, person_id = record_id.partition("/")
    return contact_id, person_id

