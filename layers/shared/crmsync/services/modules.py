"""Module preferences use cases (M1-M9, S7): save them, read them with their status, list the
fields an admin can map and the CRM views a module can sync through.

Saved preferences apply from the next run: the store bumps their version on every save and a run
records the version it started with. A save that changes them after a run also marks a re-apply,
so the next run brings the records synced before the edit in line too (S7, `sync.reapply`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crmsync.contracts.queues import SyncMessage
from crmsync.domain import module_rules as rules
from crmsync.domain.crm_modules import CRM_MODULES
from crmsync.domain.errors import ConflictError, InvalidFieldsError
from crmsync.domain.field_catalog import (
    CRM_KINDS,
    INVENTORY_CUSTOM_KINDS,
    INVENTORY_ENTITY,
    INVENTORY_STANDARD_FIELDS,
    DefaultPair,
    FieldKind,
    crm_modules,
    custom_field_name,
    default_map,
)
from crmsync.domain.models import (
    CrmSource,
    Direction,
    Integration,
    IntegrationState,
    Module,
    ModulePreferences,
    ModuleSettings,
    ModuleStatus,
)
from crmsync.observability import logger
from crmsync.ports.crm import CrmCustomView, CrmField
from crmsync.ports.inventory import InventoryPort
from crmsync.ports.store import Store
from crmsync.ports.vendors import VendorClients, VendorDirectory
from crmsync.services.deps import Deps
from crmsync.services.sync import reapply

GONE = {IntegrationState.DELETING, IntegrationState.DELETED}
IN_FLIGHT = {ModuleStatus.QUEUED, ModuleStatus.RUNNING}


@dataclass(frozen=True)
class CrmFieldEntry:
    module: str
    api_name: str
    label: str
    data_type: str
    custom: bool
    kind: FieldKind | None


@dataclass(frozen=True)
class InventoryFieldEntry:
    name: str
    label: str
    data_type: str
    custom: bool
    kind: FieldKind | None


@dataclass(frozen=True)
class ModuleFields:
    module: Module
    crm_source: CrmSource | None
    crm_fields: list[CrmFieldEntry]
    inventory_fields: list[InventoryFieldEntry]
    default_map: tuple[DefaultPair, ...]


def default_direction(integration: Integration) -> Direction:
    """A primary integration syncs both ways unless set otherwise; a secondary only fetches (L1)."""
    return Direction.TWO_WAY if integration.two_way else Direction.FETCH_FROM_CRM


def default_preferences(integration: Integration, module: Module) -> ModulePreferences:
    """What a never-saved module shows: version 0 and the defaults."""
    settings = ModuleSettings(
        crm_source=CrmSource.ACCOUNTS if module is Module.CUSTOMERS else None,
        direction=default_direction(integration),
    )
    return ModulePreferences(integration_id=integration.integration_id, module=module, settings=settings)


def read_preferences(store: Store, integration: Integration, module: Module) -> ModulePreferences:
    """The saved preferences and status (M8), or the defaults when never saved."""
    return store.get_module(integration.integration_id, module) or default_preferences(integration, module)


def save_preferences(
    deps: Deps,
    integration: Integration,
    module: Module,
    settings: ModuleSettings,
    *,
    version: int | None,
    sync_now: bool,
) -> ModulePreferences:
    """Validate and save (a new version); with `sync_now`, queue one manual sync of the module.
    Changed settings of a module that has run are re-applied to its synced records by the next run
    (S7, see `sync.reapply`).

    `version` is the version the caller edited: stale -> ConflictError naming the current one.
    Broken rules -> InvalidFieldsError listing all of them. Nothing is saved on refusal.
    """
    if integration.state in GONE:
        raise ConflictError(
            f"Integration {integration.integration_id} is {integration.state}.", current=integration.state
        )
    store = deps.store
    current = store.get_module(integration.integration_id, module)
    current_version = current.version if current else 0
    if version is not None and version != current_version:
        raise ConflictError(
            f"The {module} preferences are at version {current_version}, not {version}; "
            "read them again and reapply the change.",
            current=current_version,
        )
    if sync_now:
        _check_can_sync(integration, current)
    check_settings(deps.vendors, integration, module, settings)
    marked = reapply.marks(current, settings)
    saved = store.save_module_settings(
        ModulePreferences(
            integration_id=integration.integration_id,
            module=module,
            version=current_version,
            settings=settings,
            reapply_remapped=reapply.remapped_since(current, settings) if marked and current else (),
        ),
        reapply=marked,
    )
    logger.info(
        "module preferences saved",
        extra={
            "module_name": module.value,
            "version": saved.version,
            "reapply_version": saved.reapply_version,
        },
    )
    if sync_now and saved.status not in IN_FLIGHT:
        # Sent before the status is set: a lost send must not leave the module queued forever
        # (the scheduler never queues a module that is queued already).
        deps.sync_queue.send(
            SyncMessage(integration_id=integration.integration_id, module=module, trigger="manual")
        )
        store.set_module_status(integration.integration_id, module, ModuleStatus.QUEUED)
        saved = saved.model_copy(update={"status": ModuleStatus.QUEUED})
    return saved


def check_settings(
    vendors: VendorDirectory, integration: Integration, module: Module, settings: ModuleSettings
) -> None:
    """InvalidFieldsError listing every rule the settings break (M6): the check of a save, and of the
    preferences a preview (B2) is asked to plan with."""
    found = rules.violations(
        module, settings, integration.role, _facts(vendors, integration, module, settings)
    )
    if found:
        raise InvalidFieldsError(found)


def list_fields(clients: VendorClients, module: Module, crm_source: CrmSource | None) -> ModuleFields:
    """Both sides' fields of a module and its default mapping (M6)."""
    source = crm_source if module is Module.CUSTOMERS else None
    crm_fields = [
        CrmFieldEntry(
            module=crm_module,
            api_name=f.api_name,
            label=f.field_label or f.api_name,
            data_type=f.data_type,
            custom=f.custom_field,
            kind=CRM_KINDS.get(f.data_type),
        )
        for crm_module in crm_modules(module, source)
        for f in clients.crm.list_fields(crm_module)
    ]
    return ModuleFields(
        module=module,
        crm_source=source,
        crm_fields=crm_fields,
        inventory_fields=_inventory_fields(clients.inventory, module),
        default_map=default_map(module, source),
    )


def list_views(clients: VendorClients, module: Module) -> dict[str, list[CrmCustomView]]:
    """The CRM's custom views of each CRM module the module may read (M5), by `views` key."""
    return {CRM_MODULES[m].key: clients.crm.list_custom_views(m) for m in crm_modules(module, None)}


def _check_can_sync(integration: Integration, current: ModulePreferences | None) -> None:
    if integration.state is not IntegrationState.ACTIVE:
        raise ConflictError(
            f"Integration {integration.integration_id} is {integration.state}; save with sync=later.",
            current=integration.state,
        )
    if current is not None and current.paused:
        raise ConflictError(
            f"The {current.module} module is paused; resume it or save with sync=later.", current="paused"
        )


def _facts(
    vendors: VendorDirectory, integration: Integration, module: Module, settings: ModuleSettings
) -> rules.VendorFacts:
    """Read exactly what the rules of this save need; no vendor call when they need nothing."""
    needed = rules.lookups_needed(module, settings)
    if needed == rules.Lookups():
        return rules.VendorFacts()
    vendor = vendors.for_integration(integration)
    crm_fields = {m: _crm_facts(vendor.crm.list_fields(m)) for m in needed.crm_field_modules}
    views = {m: frozenset(v.id for v in vendor.crm.list_custom_views(m)) for m in needed.crm_view_modules}
    inventory = (
        {
            e.name: rules.FieldFacts(e.name, e.data_type, e.kind)
            for e in _inventory_fields(vendor.inventory, module)
        }
        if needed.inventory_fields
        else {}
    )
    crm_currency = inventory_currency = None
    if needed.base_currencies:
        crm_currency = integration.crm_base_currency or vendor.crm.get_org().iso_code
        inventory_currency = (
            integration.inventory_base_currency or vendor.inventory.get_organization().currency_code
        )
    return rules.VendorFacts(
        crm_fields=crm_fields,
        crm_views=views,
        inventory_fields=inventory,
        crm_currency=crm_currency,
        inventory_currency=inventory_currency,
    )


def _crm_facts(fields: list[CrmField]) -> dict[str, rules.FieldFacts]:
    return {
        f.api_name: rules.crm_field_facts(
            f.api_name, f.data_type, tuple(v.actual_value for v in f.pick_list_values)
        )
        for f in fields
    }


def _inventory_fields(inventory: InventoryPort, module: Module) -> list[InventoryFieldEntry]:
    entity = INVENTORY_ENTITY[module]
    standard = [
        InventoryFieldEntry(name=f.name, label=f.label, data_type=f.kind.value, custom=False, kind=f.kind)
        for f in INVENTORY_STANDARD_FIELDS[entity]
    ]
    custom = [
        InventoryFieldEntry(
            name=custom_field_name(f.api_name, f.label),
            label=f.label,
            data_type=f.data_type or "string",
            custom=True,
            kind=INVENTORY_CUSTOM_KINDS.get(f.data_type or "string"),
        )
        for f in inventory.list_custom_fields(entity)
        if f.is_active
    ]
    return standard + custom
