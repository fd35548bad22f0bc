"""CRM-native quotes, sales orders and purchase orders (T1): created in the CRM, notified to us, and
created in inventory at once.

- A customer or vendor that is not mapped yet is imported first; an unmapped product's line is
  carried as a free-text line with the product's name, so the document still arrives at once.
- Custom fields travel as the admin mapped them with the transaction settings
  (`services.transaction_fields`); an unmapped field does not travel.
- Created in inventory exactly once (`CreateOnce`, reference number `CRM-{MODULE}-{record_id}`) and,
  when the record names a deal, linked to it (hand-made link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmsync.contracts.queues import CrmTransactionEventMessage
from crmsync.domain.automation import TriggerAction, crm_transaction_reference
from crmsync.domain.errors import NotFoundError
from crmsync.domain.models import (
    CrmSource,
    Integration,
    IntegrationState,
    Module,
    NativeTransactionModule,
    Role,
    Side,
)
from crmsync.domain.transaction_fields import NATIVE_ENTITY
from crmsync.observability import bind, logger
from crmsync.ports.crm import CrmRecord
from crmsync.ports.errors import NotFound, VendorError
from crmsync.ports.inventory import InventoryPort
from crmsync.services.automation.create_once import CreateOnce, LinkTo
from crmsync.services.automation.triggers import customer_for, usable
from crmsync.services.deps import Deps
from crmsync.services.transaction_fields import carried_custom_fields
from crmsync.services.transactions import audit


@dataclass(frozen=True)
class CrmNative:
    kind: str  # inventory kind
    subform: str
    party: str  # customer | vendor


_N = NativeTransactionModule
CRM_NATIVE = {
    module.value: CrmNative(NATIVE_ENTITY[module], subform, party)
    for module, subform, party in (
        (_N.QUOTES, "Quoted_Items", "customer"),
        (_N.SALES_ORDERS, "Ordered_Items", "customer"),
        (_N.PURCHASE_ORDERS, "Purchased_Items", "vendor"),
    )
}



def handle_crm_transaction_event(deps: Deps, message: CrmTransactionEventMessage) -> None:
    """A quote, sales order or purchase order created in the CRM: create it in inventory now (S2, T1)."""
    bind(integration_id=message.integration_id)
    integration = deps.store.get_integration(message.integration_id)
    if (
        integration is None
        or integration.state is not IntegrationState.ACTIVE
        or integration.role is Role.SECONDARY
        or not integration.transactions_enabled
    ):
        logger.info(
            "CRM transaction event dropped",
            extra={"reason": "transaction sync not active", "record_id": message.record_id},
        )
        return
    bind(tenant_id=integration.tenant_id)
    clients = deps.vendors.for_integration(integration)
    try:
        record = clients.crm.get_record(message.crm_module, message.record_id)
    except NotFound:
        logger.info("CRM transaction is gone", extra={"record_id": message.record_id})
        return
    native = CRM_NATIVE[message.crm_module]
    details = {
        "crm_module": message.crm_module,
        "record_id": message.record_id,
        "transaction_kind": native.kind,
    }
    try:
        values = _native_values(deps, integration, clients.inventory, message.crm_module, native, record)
        deal = record.values.get("Deal_Name") if isinstance(record.values.get("Deal_Name"), dict) else None
        link_to = (
            LinkTo(str(deal["id"]), deal.get("name"), trigger_made=False) if deal and deal.get("id") else None
        )
        claim = CreateOnce(deps.store, clients.inventory, integration.integration_id, deps.clock, link_to).create(
            message.record_id, TriggerAction.CRM_TRANSACTION, 1, native.kind, values
        )
    except (_Skip, NotFoundError) as skip:
        audit(deps, integration.integration_id, "crm_transaction", "skipped", str(skip), details)
        return
    except VendorError as exc:
        if exc.retryable:
            raise
        audit(
            deps,
            integration.integration_id,
            "crm_transaction",
            "failed",
            f"{exc.system} refused: {exc.message}",
            details,
        )
        return
    if claim:
        audit(
            deps,
            integration.integration_id,
            "crm_transaction",
            "created",
            claim.reason,
            details
            | {"transaction_id": claim.transaction_id, "transaction_number": claim.transaction_number},
        )


class _Skip(Exception):
    """The CRM record cannot become an inventory document; the reason goes to the activity log."""


def _native_values(
    deps: Deps,
    integration: Integration,
    inventory: InventoryPort,
    crm_module: str,
    native: CrmNative,
    record: CrmRecord,
) -> dict[str, Any]:
    values = record.values
    party = _native_party(deps, integration, native, values)
    rows = [row for row in values.get(native.subform) or [] if isinstance(row, dict)]
    lines = [_native_line(deps, integration, row) for row in rows]
    if not lines:
        raise _Skip(f"the CRM {crm_module} record has no line items")
    document: dict[str, Any] = {
        f"{native.party}_id": party,
        "line_items": lines,
        "reference_number": crm_transaction_reference(crm_module, record.id),
    }
    if values.get("Subject"):
        document["notes"] = str(values["Subject"])
    custom = carried_custom_fields(inventory, integration, crm_module, values)
    if custom:
        document["custom_fields"] = custom
    return document


def _native_party(deps: Deps, integration: Integration, native: CrmNative, values: dict[str, Any]) -> str:
    if native.party == "vendor":
        vendor = values.get("Vendor_Name")
        if not (isinstance(vendor, dict) and vendor.get("id")):
            raise _Skip("the purchase order has no vendor")
        mapping = deps.store.get_mapping(
            integration.integration_id, Module.VENDORS, Side.CRM, str(vendor["id"])
        )
        if usable(mapping):
            return mapping.inventory_id
        from crmsync.services.sync.imports import import_crm_record

        return import_crm_record(deps, integration, "Vendors", str(vendor["id"])).inventory_id
    preferences = deps.store.get_module(integration.integration_id, Module.CUSTOMERS)
    source = (preferences.settings.crm_source if preferences else None) or CrmSource.ACCOUNTS
    crm_module, field = (
        ("Contacts", "Contact_Name") if source is CrmSource.CONTACTS else ("Accounts", "Account_Name")
    )
    party = values.get(field)
    if not (isinstance(party, dict) and party.get("id")):
        raise _Skip(
            f"the record has no {field.removesuffix('_Name').lower()}, which the customer source needs"
        )
    return customer_for(deps, integration, crm_module, str(party["id"]))


def _native_line(deps: Deps, integration: Integration, row: dict[str, Any]) -> dict[str, Any]:
    """One line item; the mapping is read by key (the trigger function may read items, not batches)."""
    product = row.get("Product_Name") if isinstance(row.get("Product_Name"), dict) else {}
    product_id = str(product.get("id") or "")
    mapping = product_id and deps.store.get_mapping(
        integration.integration_id, Module.ITEMS, Side.CRM, product_id
    )
    line: dict[str, Any] = {"quantity": float(row.get("Quantity") or 1)}
    if usable(mapping):
        line["item_id"] = mapping.inventory_id
    else:
        line["name"] = str(product.get("name") or "CRM product")
    if row.get("List_Price") is not None:
        line["rate"] = float(row["List_Price"])
    if row.get("Description"):
        line["description"] = str(row["Description"])
    if row.get("Discount"):
        line["discount"] = float(row["Discount"])
    return line
