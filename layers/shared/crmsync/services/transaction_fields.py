"""T1: the fields of CRM-native quotes, sales orders and purchase orders that travel to inventory
custom fields: saved with the transaction settings (checked against both systems' fields, refused
whole when a pair cannot work), and carried when such a document is created in inventory.

Nothing travels by name guessing: a CRM field travels only when the admin mapped it. The map may be
saved before or after transaction sync is turned on; it applies to the documents created from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmsync.domain.errors import ConflictError, InvalidFieldsError, NotFoundError
from crmsync.domain.field_catalog import INVENTORY_CUSTOM_KINDS, FieldKind, custom_field_name
from crmsync.domain.models import (
    Integration,
    IntegrationState,
    NativeTransactionModule,
    Role,
    TransactionFieldPair,
)
from crmsync.domain.module_rules import FieldFacts, VendorFacts, crm_field_facts
from crmsync.domain.transaction_fields import NATIVE_ENTITY, violations
from crmsync.observability import logger
from crmsync.ports.inventory import InventoryCustomField, InventoryPort
from crmsync.services.activity import record_activity
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration, update_integration

GONE = {IntegrationState.DELETING, IntegrationState.DELETED}


def save_field_map(
    deps: Deps, tenant_id: str, integration_id: str, pairs: Sequence[TransactionFieldPair]
) -> Integration:
    """Replace the transaction field map; InvalidFieldsError naming every pair that cannot work."""
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.role is Role.SECONDARY:
        raise ConflictError(
            "A secondary integration is fetch-from-CRM only; transaction sync is not available."
        )
    if integration.state in GONE:
        raise ConflictError(f"The integration is {integration.state}.", current=integration.state)
    if pairs:
        found = violations(pairs, *_facts(deps, integration, pairs))
        if found:
            raise InvalidFieldsError(found)
    updated = update_integration(
        deps.store, integration_id, lambda i: i.model_copy(update={"transaction_field_map": tuple(pairs)})
    )
    if updated is None:
        raise NotFoundError(f"No integration {integration_id}.")
    details = {"pairs": len(pairs)}
    record_activity(
        deps.store, deps.clock, integration_id, "transaction_field_map_saved", "done", details=details
    )
    logger.info("transaction field map saved", extra=details)
    return updated


def carried_custom_fields(
    inventory: InventoryPort, integration: Integration, crm_module: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """The inventory `custom_fields` of a CRM-native document: its mapped fields that have a value.

    A mapped inventory field deleted or deactivated since the map was saved is left out (and
    logged), so the document is still created."""
    given = [
        (pair, values[pair.crm])
        for pair in integration.transaction_field_map
        if pair.crm_module == crm_module and values.get(pair.crm) not in (None, "")
    ]
    if not given:
        return []
    module = NativeTransactionModule(crm_module)
    definitions = {
        custom_field_name(f.api_name, f.label): f
        for f in inventory.list_custom_fields(NATIVE_ENTITY[module])
        if f.is_active
    }
    carried = []
    for pair, value in given:
        field = definitions.get(pair.inventory)
        if field is None:
            logger.warning("mapped inventory custom field is gone", extra={"field": pair.inventory})
            continue
        carried.append({"customfield_id": field.customfield_id, "value": value})
    return carried


def _facts(
    deps: Deps, integration: Integration, pairs: Sequence[TransactionFieldPair]
) -> tuple[
    dict[NativeTransactionModule, dict[str, FieldFacts]],
    dict[NativeTransactionModule, dict[str, FieldFacts]],
    VendorFacts,
]:
    """Read the fields of the modules the map uses, and the base currencies when a currency is mapped."""
    clients = deps.vendors.for_integration(integration)
    modules = list(dict.fromkeys(pair.crm_module for pair in pairs))
    crm = {
        m: {
            f.api_name: crm_field_facts(
                f.api_name, f.data_type, tuple(v.actual_value for v in f.pick_list_values)
            )
            for f in clients.crm.list_fields(m.value)
        }
        for m in modules
    }
    inventory = {m: _inventory_facts(clients.inventory.list_custom_fields(NATIVE_ENTITY[m])) for m in modules}
    mapped = [crm[p.crm_module].get(p.crm) for p in pairs] + [
        inventory[p.crm_module].get(p.inventory) for p in pairs
    ]
    if not any(f is not None and f.kind is FieldKind.CURRENCY for f in mapped):
        return crm, inventory, VendorFacts()
    currencies = VendorFacts(
        crm_currency=integration.crm_base_currency or clients.crm.get_org().iso_code,
        inventory_currency=integration.inventory_base_currency
        or clients.inventory.get_organization().currency_code,
    )
    return crm, inventory, currencies


def _inventory_facts(definitions: list[InventoryCustomField]) -> dict[str, FieldFacts]:
    facts = {}
    for f in definitions:
        if not f.is_active:
            continue
        data_type = f.data_type or "string"
        name = custom_field_name(f.api_name, f.label)
        facts[name] = FieldFacts(name, data_type, INVENTORY_CUSTOM_KINDS.get(data_type))
    return facts
