"""T1 and T2: transactions created from the CRM side, and inventory transactions read from it.

- Every CRM-side call names the acting CRM user (and optionally their role); T2 grants decide:
  creating quotes needs `create_quotes`, sales orders `create_sales_orders`; reading invoices needs
  `view_invoices`, purchase orders `view_purchase_orders`, sales orders `view_invoices` or
  `create_sales_orders`, quotes `create_quotes`. A listing shows the kinds the user may see and is
  refused (naming `view_invoices`) when that is none of them.
- Refused with 409 while transaction sync is off, and always for a secondary integration; the
  shared organization information (L1) is readable by any CRM user, T1 or not.
- Customers, vendors and products are mapped through the mappings; a customer or vendor that is
  not mapped yet is imported first. An unmapped product is refused (422).
- Purchase orders are read per CRM vendor (through the vendor's mapping), besides through deal links.
- Custom fields: CRM-side creates name inventory custom fields directly (checked against the
  inventory's definitions).

Records created in the CRM itself and notified to us are `crm_native`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmsync.contracts.crm_side import CrmSideTransactionIn
from crmsync.domain.errors import ConflictError, InvalidFieldsError, NotFoundError, PermissionDenied
from crmsync.domain.models import (
    CrmPermission,
    Integration,
    IntegrationState,
    Module,
    Role,
    SharedOrgInfo,
    Side,
)
from crmsync.observability import logger
from crmsync.ports.errors import NotFound
from crmsync.ports.inventory import InventoryCustomField, InventoryPort, InventoryRecord, TransactionQuery
from crmsync.services.activity import record_activity
from crmsync.services.automation.create_once import LinkTo, link_deal
from crmsync.services.automation.triggers import customer_for, usable
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration
from crmsync.services.lifecycle import check_crm_permission

P = CrmPermission
VIEWERS: dict[str, tuple[CrmPermission, ...]] = {
    "invoices": (P.VIEW_INVOICES,),
    "salesorders": (P.VIEW_INVOICES, P.CREATE_SALES_ORDERS),
    "purchaseorders": (P.VIEW_PURCHASE_ORDERS,),
    "estimates": (P.CREATE_QUOTES,),
}
CREATORS = {"estimates": P.CREATE_QUOTES, "salesorders": P.CREATE_SALES_ORDERS}
CUSTOMER_KINDS = ("invoices", "salesorders", "estimates")
LISTED_PER_KIND = 200
ACTIVE_STATES = {IntegrationState.ACTIVE, IntegrationState.PAUSED}


@dataclass(frozen=True)
class CrmActor:
    """The CRM user a CRM-side call acts for (`X-Crm-User-Id`, `X-Crm-Role-Id`)."""

    user_id: str
    role_id: str | None = None


# ------------------------------------------------------------------ access (T1, T2)
def crm_side_integration(deps: Deps, tenant_id: str, integration_id: str) -> Integration:
    """The integration, if CRM-side transactions are available on it (409 otherwise)."""
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.role is Role.SECONDARY:
        raise ConflictError(
            "A secondary integration is fetch-from-CRM only; CRM-side transactions are not available."
        )
    if integration.state not in ACTIVE_STATES:
        raise ConflictError(f"The integration is {integration.state}.", current=integration.state)
    if not integration.transactions_enabled:
        raise ConflictError("Transaction sync (T1) is off for this integration.")
    return integration


def may(integration: Integration, permission: CrmPermission, actor: CrmActor) -> bool:
    try:
        check_crm_permission(integration, permission, actor.user_id, actor.role_id)
    except PermissionDenied:
        return False
    return True


def visible_kinds(integration: Integration, actor: CrmActor, kinds: tuple[str, ...]) -> list[str]:
    """The kinds the actor may read; PermissionDenied (view_invoices) when none."""
    visible = [k for k in kinds if any(may(integration, p, actor) for p in VIEWERS[k])]
    if not visible:
        raise PermissionDenied(
            P.VIEW_INVOICES.value, f"CRM user {actor.user_id} is not allowed to view invoices."
        )
    return visible


def organization(deps: Deps, tenant_id: str, integration_id: str) -> SharedOrgInfo:
    """What the inventory organization shares with the CRM side on connect (L1)."""
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.inventory_org is None:
        raise NotFoundError("The inventory organization shared nothing with the CRM side.")
    return integration.inventory_org


# ------------------------------------------------------------------ reading from the CRM side
def deal_transactions(
    deps: Deps, tenant_id: str, integration_id: str, actor: CrmActor, deal_id: str
) -> list[tuple[str, InventoryRecord]]:
    """The inventory documents linked to a deal that the actor may see (the deal's finance section)."""
    integration = crm_side_integration(deps, tenant_id, integration_id)
    visible = visible_kinds(integration, actor, ("invoices", "salesorders", "purchaseorders", "estimates"))
    inventory = deps.vendors.for_integration(integration).inventory
    found = []
    for link in deps.store.list_deal_links(integration_id, deal_id):
        if link.transaction_kind not in visible:
            continue
        try:
            found.append(
                (link.transaction_kind, inventory.get_transaction(link.transaction_kind, link.transaction_id))
            )
        except NotFound:
            logger.info("linked transaction is gone", extra={"transaction_id": link.transaction_id})
    return found


def account_transactions(
    deps: Deps, tenant_id: str, integration_id: str, actor: CrmActor, crm_id: str
) -> list[tuple[str, InventoryRecord]]:
    """Invoices, sales orders and quotes of the inventory customer of a CRM account (or contact)."""
    integration = crm_side_integration(deps, tenant_id, integration_id)
    visible = visible_kinds(integration, actor, CUSTOMER_KINDS)
    mapping = deps.store.get_mapping(integration_id, Module.CUSTOMERS, Side.CRM, crm_id)
    if not usable(mapping):
        raise NotFoundError(f"CRM record {crm_id} is not linked to an inventory customer.")
    inventory = deps.vendors.for_integration(integration).inventory
    found = []
    for kind in visible:
        query = TransactionQuery(customer_id=mapping.inventory_id, sort_column="date", sort_order="D")
        page = next(iter(inventory.iter_transaction_pages(kind, query)), None)
        found += [(kind, record) for record in (page.records if page else [])[:LISTED_PER_KIND]]
    return found


def vendor_purchase_orders(
    deps: Deps, tenant_id: str, integration_id: str, actor: CrmActor, crm_id: str
) -> list[tuple[str, InventoryRecord]]:
    """The purchase orders of the inventory vendor of a CRM vendor, newest first (needs `view_purchase_orders`)."""
    integration = crm_side_integration(deps, tenant_id, integration_id)
    check_crm_permission(integration, P.VIEW_PURCHASE_ORDERS, actor.user_id, actor.role_id)
    mapping = deps.store.get_mapping(integration_id, Module.VENDORS, Side.CRM, crm_id)
    if not usable(mapping):
        raise NotFoundError(f"CRM vendor {crm_id} is not linked to an inventory vendor.")
    inventory = deps.vendors.for_integration(integration).inventory
    query = TransactionQuery(vendor_id=mapping.inventory_id, sort_column="date", sort_order="D")
    page = next(iter(inventory.iter_transaction_pages("purchaseorders", query)), None)
    return [("purchaseorders", record) for record in (page.records if page else [])[:LISTED_PER_KIND]]


# ------------------------------------------------------------------ creating from the CRM side
def create_from_crm_side(
    deps: Deps, tenant_id: str, integration_id: str, actor: CrmActor, kind: str, body: CrmSideTransactionIn
) -> InventoryRecord:
    """A quote (`estimates`) or sales order (`salesorders`), created in inventory at once."""
    integration = crm_side_integration(deps, tenant_id, integration_id)
    check_crm_permission(integration, CREATORS[kind], actor.user_id, actor.role_id)
    inventory = deps.vendors.for_integration(integration).inventory
    lines = _mapped_lines(deps, integration, body)
    custom_fields = _named_custom_fields(inventory, kind, body)
    crm_module, crm_id = ("Accounts", body.account_id) if body.account_id else ("Contacts", body.contact_id)
    values: dict[str, Any] = {
        "customer_id": customer_for(deps, integration, crm_module, crm_id),
        "line_items": lines,
    }
    values |= {
        k: v
        for k, v in {
            "custom_fields": custom_fields,
            "reference_number": body.reference_number,
            "date": body.date,
            "notes": body.notes,
        }.items()
        if v
    }
    deal_name = _deal_name(deps, integration, body.deal_id) if body.deal_id else None
    if body.deal_id:
        values |= {"zcrm_potential_id": body.deal_id, "zcrm_potential_name": deal_name}
    record = inventory.create_transaction(kind, values)
    if body.deal_id:
        link_deal(
            deps.store,
            deps.clock,
            integration_id,
            LinkTo(body.deal_id, deal_name, trigger_made=False),
            kind,
            record.id,
        )
    audit(
        deps,
        integration_id,
        "crm_side_transaction",
        "created",
        None,
        {
            "crm_user_id": actor.user_id,
            "transaction_kind": kind,
            "transaction_id": record.id,
            "deal_id": body.deal_id,
        },
    )
    return record


def _mapped_lines(deps: Deps, integration: Integration, body: CrmSideTransactionIn) -> list[dict[str, Any]]:
    product_ids = [line.product_id for line in body.line_items]
    mapped = deps.store.get_mappings(integration.integration_id, Module.ITEMS, Side.CRM, product_ids)
    unmapped = [
        (f"line_items[{n}].product_id", f"CRM product {line.product_id} is not synced to an inventory item")
        for n, line in enumerate(body.line_items)
        if not usable(mapped.get(line.product_id))
    ]
    if unmapped:
        raise InvalidFieldsError(unmapped)
    lines = []
    for line in body.line_items:
        entry: dict[str, Any] = {"item_id": mapped[line.product_id].inventory_id, "quantity": line.quantity}
        entry |= {
            k: v for k, v in {"rate": line.rate, "description": line.description}.items() if v is not None
        }
        lines.append(entry)
    return lines


def _named_custom_fields(
    inventory: InventoryPort, kind: str, body: CrmSideTransactionIn
) -> list[dict[str, Any]]:
    if not body.custom_fields:
        return []
    definitions = inventory.list_custom_fields(kind)
    values, unknown = [], []
    for n, given in enumerate(body.custom_fields):
        field = find_custom_field(definitions, given.customfield_id, given.api_name, given.label)
        if field is None:
            unknown.append((f"custom_fields[{n}]", f"no such {kind} custom field in inventory"))
        else:
            values.append({"customfield_id": field.customfield_id, "value": given.value})
    if unknown:
        raise InvalidFieldsError(unknown)
    return values


def find_custom_field(
    definitions: list[InventoryCustomField], field_id: str | None, api_name: str | None, label: str | None
) -> InventoryCustomField | None:
    for field in definitions:
        if (
            (field_id and field.customfield_id == field_id)
            or (api_name and (field.api_name or "").lower() == api_name.lower())
            or (label and field.label.strip().lower() == label.strip().lower())
        ):
            return field
    return None


def _deal_name(deps: Deps, integration: Integration, deal_id: str) -> str | None:
    try:
        deal = deps.vendors.for_integration(integration).crm.get_record("Deals", deal_id)
    except NotFound:
        raise InvalidFieldsError([("deal_id", f"no deal {deal_id} in the CRM")]) from None
    return deal.values.get("Deal_Name")


def audit(deps: Deps, integration_id: str, kind: str, result: str, reason: str | None, details: dict) -> None:
    record_activity(deps.store, deps.clock, integration_id, kind, result, reason=reason, details=details)
    logger.info(kind, extra={"result": result, "reason": reason})
