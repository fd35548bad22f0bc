"""Three-way merge of one record pair, field by field, against the last synced values.

A field counts as changed on a side when it differs from the base (a field missing from the base
counts as changed on a side that has a value). Changed on one side: that value is taken, an empty
one too: a field filled at the last sync and cleared on one side since is cleared on the other.
Changed on both to different values (a clear against an edit included): the winner's value is
taken and the conflict recorded. A field missing from the base was empty at the last sync, or the
pair was never synced (M4 links with an empty base): an empty value there is no clear, so the
other side's value is taken.

`KEPT_WHEN_CLEARED` lists the fields a vendor refuses an empty value for: for those an empty value
never wins, the other side's value is kept (and written back to the side that cleared it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmsync.domain.models import Side
from crmsync.domain.sync.model import Canonical, FieldConflict
from crmsync.domain.sync.values import stable

# Canonical paths (inventory field paths) that cannot be emptied on one side or the other.
KEPT_WHEN_CLEARED: frozenset[str] = frozenset(
    {
        "contact_name",  # inventory display name (mandatory); CRM Account_Name, Vendor_Name (mandatory)
        "contact_person.last_name",  # CRM Contacts' Last_Name (mandatory)
        "name",  # inventory item name (mandatory); CRM Product_Name (mandatory)
        "payment_terms",  # inventory numbers: no empty value
        "rate",
        "purchase_rate",
        "reorder_level",
        "status",  # an item is active or inactive
        "is_taxable",  # a boolean the inventory always holds
        "product_type",  # goods or service, nothing else
    }
)


@dataclass(frozen=True, slots=True)
class MergeResult:
    merged: Canonical  # the values both sides should hold
    to_crm: Canonical  # the fields whose CRM value differs from `merged` (None: clear it)
    to_inventory: Canonical  # the fields whose inventory value differs from `merged` (None: clear it)
    conflicts: tuple[FieldConflict, ...]


def merge(base: Canonical, crm: Canonical, inventory: Canonical, winner: Side) -> MergeResult:
    merged: Canonical = {}
    to_crm: Canonical = {}
    to_inventory: Canonical = {}
    conflicts: list[FieldConflict] = []
    for field in dict.fromkeys([*crm, *inventory]):
        was, on_crm, on_inventory = (stable(side.get(field)) for side in (base, crm, inventory))
        value, conflict = _field(field, was, on_crm, on_inventory, winner)
        merged[field] = value
        if value != on_crm:
            to_crm[field] = value
        if value != on_inventory:
            to_inventory[field] = value
        if conflict is not None:
            conflicts.append(conflict)
    return MergeResult(merged, to_crm, to_inventory, tuple(conflicts))


def _field(
    field: str, was: Any, on_crm: Any, on_inventory: Any, winner: Side
) -> tuple[Any, FieldConflict | None]:
    if on_crm == on_inventory:
        return on_crm, None
    if field in KEPT_WHEN_CLEARED and (on_crm is None or on_inventory is None):
        return (on_inventory if on_crm is None else on_crm), None  # a vendor refuses the empty value
    crm_changed, inventory_changed = on_crm != was, on_inventory != was
    if crm_changed and inventory_changed:
        value = on_crm if winner is Side.CRM else on_inventory
        return value, FieldConflict(
            field=field, crm_value=on_crm, inventory_value=on_inventory, winner=winner
        )
    return (on_crm if crm_changed else on_inventory), None
