"""What a run fixes when it starts: the planner's context and the fields to read from the CRM."""

from __future__ import annotations

from datetime import datetime

from crmsync.domain.crm_modules import CRM_MODULES
from crmsync.domain.field_catalog import INVENTORY_CUSTOM_KINDS, INVENTORY_ENTITY, custom_field_name
from crmsync.domain.models import Direction, Integration, ModulePreferences, Role
from crmsync.domain.sync.canonical import resolve_context
from crmsync.domain.sync.model import PlanContext
from crmsync.ports.crm import MAX_FIELDS_PER_LIST
from crmsync.ports.inventory import InventoryPort

# Read on every CRM list besides the mapped fields: the name, the change time, the parent account
# of a contact, and the creation time (to recognise our own create after a crash).
ALWAYS_READ = {name: m.always_read for name, m in CRM_MODULES.items()}


def writes_crm(integration: Integration, preferences: ModulePreferences) -> bool:
    """Only a primary, two-way integration with a two-way module may ever write to the CRM (L1, M2)."""
    return (
        integration.role is Role.PRIMARY
        and integration.two_way
        and preferences.settings.direction is Direction.TWO_WAY
    )


def plan_context(
    inventory: InventoryPort, integration: Integration, preferences: ModulePreferences, as_of: datetime
) -> PlanContext:
    """The planner's context for a module at the preferences version a run started with (S7)."""
    settings = preferences.settings
    uses_custom = any(pair.inventory.startswith("cf_") for pair in settings.field_map)
    return resolve_context(
        integration.integration_id,
        preferences.module,
        settings,
        preferences.version,
        writes_crm(integration, preferences),
        custom_kinds(inventory, preferences) if uses_custom else None,
        as_of,
    )


def custom_kinds(inventory: InventoryPort, preferences: ModulePreferences) -> dict[str, str]:
    """Inventory custom field name -> its kind, for value conversion."""
    fields = inventory.list_custom_fields(INVENTORY_ENTITY[preferences.module])
    return {
        custom_field_name(f.api_name, f.label): INVENTORY_CUSTOM_KINDS[f.data_type or "string"].value
        for f in fields
        if f.is_active and (f.data_type or "string") in INVENTORY_CUSTOM_KINDS
    }


def crm_fields(ctx: PlanContext, crm_module: str) -> list[str]:
    """The fields a list of `crm_module` asks for: the mapped ones and those the runtime needs (≤50)."""
    wanted = list(ALWAYS_READ.get(crm_module, ("Modified_Time",)))
    wanted += [crm_field for module, crm_field, _ in ctx.field_map if module == crm_module]
    return list(dict.fromkeys(wanted))[:MAX_FIELDS_PER_LIST]
