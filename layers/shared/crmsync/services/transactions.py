"""T1 and T2: transactions created from the CRM side, and inventory transactions read from it.

- Every CRM-side call names the acting CRM user (and optionally their role); T2 grants decide:
  creating quotes needs `create_quotes`, sales orders `create_sales_orders`; reading invoices needs
  `view_invoices`, purchase orders `view_purchase_orders`, sales orders `view_invoices` or
  `create_sales_orders`, quotes `create_quotes`. A listing shows the kinds the user may see and is
  refused (naming `view_invoices`) when that is none of them.
- Refused with 409 while transaction sync is off, and always for a secondary integration; the
  shared organization information (L1) is readable by any CRM user, T1 or not.
- Customers, vendors and products are mapped through the mappings; a customer or vendor that is
  not mapped yet is imported first. On a CRM-side create an unmapped product is refused (422);
  on a CRM-native quote, sales order or purchase order (notified by the CRM) its line is carried
  as a free-text line with the product's name, so the document still arrives at once.
- Custom fields: CRM-side creates name inventory custom fields directly (checked against the
  inventory's definitions); a CRM-native record's custom fields (`Sales_Channel__c`) carry to the
  inventory custom field of the same name (`cf_sales_channel`) or label, when there is one.
- A CRM-native record is created in inventory exactly once (`CreateOnce`, reference number
  `CRM-{MODULE}-{record_id}`) and, when it names a deal, linked to it (hand-made link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmsync.contracts.crm_side import CrmSideTransactionIn
from crmsync.contracts.queues import CrmTransactionEventMessage
from crmsync.domain.automation import TriggerAction, crm_transaction_reference
from crmsync.domain.errors import ConflictError, InvalidFieldsError, NotFoundError, PermissionDenied
from crmsync.domain.models import (
    CrmPermission,
    CrmSource,
    Integration,
    IntegrationState,
    Module,
    Role,
    SharedOrgInfo,
    Side,
)
from crmsync.observability import bind, logger
from crmsync.ports.crm import CrmRecord
from crmsync.ports.errors import NotFound, VendorError
from crmsync.ports.inventory import InventoryCustomField, InventoryPort, InventoryRecord, TransactionQuery
from crmsync.services.activity import record_activity
from crmsync.services.automation.create_once import CreateOnce, LinkTo, link_deal
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


@dataclass(frozen=True)
class CrmNative:
    kind: str  # inventory kind
    subform: str
    party: str  # customer | vendor


CRM_NATIVE = {
    "Quotes": CrmNative("estimates", "Quoted_Items", "customer"),
    "Sales_Orders": CrmNative("salesorders", "Ordered_Items", "customer"),
    "Purchase_Orders": CrmNative("purchaseorders", "Purchased_Items", "vendor"),
}


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
    _audit(
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
        field = _custom_field(definitions, given.customfield_id, given.api_name, given.label)
        if field is None:
            unknown.append((f"custom_fields[{n}]", f"no such {kind} custom field in inventory"))
        else:
            values.append({"customfield_id": field.customfield_id, "value": given.value})
    if unknown:
        raise InvalidFieldsError(unknown)
    return values


def _custom_field(
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


# ------------------------------------------------------------------ CRM-native records (notified)
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
        _audit(deps, integration.integration_id, "crm_transaction", "skipped", str(skip), details)
        return
    except VendorError as exc:
        if exc.retryable:
            raise
        _audit(
            deps,
            integration.integration_id,
            "crm_transaction",
            "failed",
            f"{exc.system} refused: {exc.message}",
            details,
        )
        return
    if claim:
        _audit(
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
    custom = _carried_custom_fields(inventory, native.kind, values)
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


def _carried_custom_fields(
    inventory: InventoryPort, kind: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    custom = {
        name.removesuffix("__c"): value
        for name, value in values.items()
        if name.endswith("__c") and value not in (None, "")
    }
    if not custom:
        return []
    definitions = inventory.list_custom_fields(kind)
    carried = []
    for name, value in custom.items():
        field = _custom_field(definitions, None, f"cf_{name}", name.replace("_", " "))
        if field is not None:
            carried.append({"customfield_id": field.customfield_id, "value": value})
    return carried


def _audit(deps: Deps, integration_id: str, kind: str, result: str, reason: str | None, details: dict) -> None:
    record_activity(deps.store, deps.clock, integration_id, kind, result, reason=reason, details=details)
    logger.info(kind, extra={"result": result, "reason": reason})
