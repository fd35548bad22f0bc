"""S4: re-sync one customer or vendor from the CRM now.

The contact's CRM record is read through its mapping and applied to inventory at once. It is the
CRM's values that count: the merge takes the inventory contact as it is now as its base, so every
field where the CRM differs is a CRM change. The base leaves out the fields empty in the CRM: an
empty CRM value is no clear here, and never wipes a filled one.
The re-sync is recorded in the run history with the trigger "resync".
"""

from __future__ import annotations

from crmsync.domain.errors import ConflictError, InvalidFieldsError, NotFoundError
from crmsync.domain.models import IntegrationState, MappingStatus, Module, Side, Trigger
from crmsync.domain.sync.canonical import to_canonical
from crmsync.domain.sync.model import RecordKind
from crmsync.domain.sync.planner import plan_record
from crmsync.domain.sync_state import Mapping
from crmsync.ports.errors import NotFound
from crmsync.ports.inventory import InventoryRecord
from crmsync.ports.store import Store
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration
from crmsync.services.modules import read_preferences
from crmsync.services.sync.apply import Applier
from crmsync.services.sync.context import crm_fields, plan_context
from crmsync.services.sync.inline_runs import finish, inline_run
from crmsync.services.sync.kinds import CRM_MODULE
from crmsync.services.sync.records import from_crm_as, from_inventory


def resync_contact(deps: Deps, tenant_id: str, integration_id: str, contact_id: str) -> InventoryRecord:
    """The inventory contact after applying its CRM record; 404 unless it is linked to one."""
    store = deps.store
    integration = get_integration(store, tenant_id, integration_id)
    if integration.state is not IntegrationState.ACTIVE:
        raise ConflictError(f"The integration is {integration.state}; it cannot sync now.", current=integration.state)
    mapping = _mapping(store, integration_id, contact_id)
    preferences = read_preferences(store, integration, mapping.module)
    if preferences.paused:
        raise ConflictError(f"The {mapping.module} module is paused; resume it first.", current="paused")
    clients = deps.vendors.for_integration(integration)
    ctx = plan_context(clients.inventory, integration, preferences, deps.clock())
    kind = RecordKind(mapping.record_kind or RecordKind.ACCOUNT)
    crm_module = CRM_MODULE[kind]
    try:
        crm_record = clients.crm.get_record(crm_module, str(mapping.crm_id), crm_fields(ctx, crm_module))
    except NotFound:
        raise ConflictError(f"The CRM record {mapping.crm_id} was deleted; there is nothing to re-sync from.") from None
    try:
        contact = clients.inventory.get_contact(contact_id)
    except NotFound:
        raise NotFoundError(f"No inventory contact {contact_id}.") from None
    inventory_side, crm_side = from_inventory(mapping.module, contact), from_crm_as(kind, crm_record)
    on_crm = to_canonical(ctx, crm_side)
    on_inventory = to_canonical(ctx, inventory_side)
    base = {path: value for path, value in on_inventory.items() if on_crm.get(path) is not None}
    from_crm_now = mapping.model_copy(update={"base": base, "crm_hash": None})
    run = inline_run(preferences, Trigger.RESYNC, deps.clock())
    applier = Applier(store, clients, ctx, run.run_id, deps.clock)
    decision = plan_record(ctx, crm_side, from_crm_now, inventory_side, [])
    applier.apply(decision, mapping, contact.values)
    finish(deps, run, applier, clients, read=1)
    if applier.failures:
        raise InvalidFieldsError([("contact", applier.failures[0].reason)])
    return clients.inventory.get_contact(contact_id)


def _mapping(store: Store, integration_id: str, contact_id: str) -> Mapping:
    for module in (Module.CUSTOMERS, Module.VENDORS):
        mapping = store.get_mapping(integration_id, module, Side.INVENTORY, contact_id)
        if mapping is not None and mapping.status is MappingStatus.LINKED and mapping.record_kind != RecordKind.PERSON:
            return mapping
    raise NotFoundError(f"Contact {contact_id} is not linked to a CRM record.")
