"""Three-way merge of one record pair, field by field, against the last synced values.

A field counts as changed on a side when it differs from the base (a field missing from the base
counts as changed on a side that has a value). Changed on one side: that value is taken. Changed
on both to different values: the winner's value is taken and the conflict recorded. An empty
value (None or "") never replaces a filled one: a field cleared on one side keeps the other
side's value, and a field cleared on the winning side while edited on the other takes the edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmsync.domain.models import Side
from crmsync.domain.sync.model import Canonical, FieldConflict
from crmsync.domain.sync.values import stable


@dataclass(frozen=True, slots=True)
class MergeResult:
    merged: Canonical  # the values both sides should hold
    to_crm: Canonical  # the fields whose CRM value differs from `merged`
    to_inventory: Canonical  # the fields whose inventory value differs from `merged`
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
    crm_changed, inventory_changed = on_crm != was, on_inventory != was
    if crm_changed and not inventory_changed:
        return (on_inventory if on_crm is None else on_crm), None
    if inventory_changed and not crm_changed:
        return (on_crm if on_inventory is None else on_inventory), None
    if on_crm is None or on_inventory is None:  # cleared on one side, edited on the other
        return (on_inventory if on_crm is None else on_crm), None
    value = on_crm if winner is Side.CRM else on_inventory
    return value, FieldConflict(field=field, crm_value=on_crm, inventory_value=on_inventory, winner=winner)
