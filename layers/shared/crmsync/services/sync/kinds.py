"""Where each kind of record lives on each side: CRM module, inventory entity, partner-id field."""

from __future__ import annotations

from crmsync.domain.crm_modules import CRM_MODULES, crm_module_of_kind, partner_id_field
from crmsync.domain.models import Module
from crmsync.domain.sync.model import RecordKind

# Views of `crmsync.domain.crm_modules`, where each of these facts is written.
CRM_MODULE = {kind: crm_module_of_kind(kind).name for kind in RecordKind}  # of each record kind
CRM_NAME_FIELD = {name: m.name_field for name, m in CRM_MODULES.items()}

# The inventory field that keeps the CRM id of a record (the partner id), so a lost mapping or a
# create that got no answer can be found again without guessing by name.
PARTNER_ID_FIELD = {kind: field for kind in RecordKind if (field := partner_id_field(kind)) is not None}


def inventory_kind(module: Module, values: dict) -> RecordKind:
    """The kind of an inventory contact or item as the planner sees it (M1, M3)."""
    if module is Module.ITEMS:
        return RecordKind.PRODUCT
    if module is Module.VENDORS:
        return RecordKind.VENDOR
    return RecordKind.CONTACT if values.get("customer_sub_type") == "individual" else RecordKind.ACCOUNT


def contact_type(module: Module) -> str:
    return "vendor" if module is Module.VENDORS else "customer"
