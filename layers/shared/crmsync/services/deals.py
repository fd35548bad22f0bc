"""W3: a customer's deals from the CRM, and associating inventory transactions with deals.

- Search reads the CRM at request time, so deleted deals (the recycle bin included) never appear.
  A customer is found through its mapping: an individual customer (from a CRM contact) by
  `Contact_Name`, any other by `Account_Name`; `q` narrows by deal name.
- Associate checks that the transaction exists in inventory and the deal in the CRM, then links
  them (replacing a hand-made link). A link a trigger made (A5) cannot be moved or dissociated: 409.
- A secondary integration (fetch-only, no transaction features) refuses associating: 409.
- L2: disabling an integration with transaction sync removes every link (`remove_deal_links`).
"""

from __future__ import annotations

from crmsync.domain.automation import DealLink, TransactionType
from crmsync.domain.errors import ConflictError, InvalidFieldsError, NotFoundError
from crmsync.domain.models import Integration, Module, Role, Side
from crmsync.domain.sync.model import RecordKind
from crmsync.observability import logger
from crmsync.ports.crm import Criterion, CrmRecord
from crmsync.ports.errors import NotFound
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration

DEAL_FIELDS = ["Deal_Name", "Stage", "Amount", "Closing_Date", "Account_Name", "Contact_Name", "Owner"]


def search_deals(
    deps: Deps, tenant_id: str, integration_id: str, *, customer_id: str | None, q: str | None, limit: int
) -> list[CrmRecord]:
    integration = get_integration(deps.store, tenant_id, integration_id)
    if not (customer_id or q):
        raise InvalidFieldsError([("customer_id", "give a customer_id, a q, or both")])
    criteria = []
    if customer_id:
        mapping = deps.store.get_mapping(integration_id, Module.CUSTOMERS, Side.INVENTORY, customer_id)
        if mapping is None or not mapping.crm_id:
            raise NotFoundError(f"Customer {customer_id} is not linked to a CRM account or contact.")
        lookup = "Contact_Name" if mapping.record_kind == RecordKind.CONTACT else "Account_Name"
        criteria.append(Criterion(field=f"{lookup}.id", operator="equals", value=mapping.crm_id))
    if q:
        criteria.append(Criterion(field="Deal_Name", operator="equals", value=q))
    crm = deps.vendors.for_integration(integration).crm
    return crm.search_records("Deals", criteria=criteria, fields=DEAL_FIELDS)[:limit]


def associate(
    deps: Deps,
    tenant_id: str,
    integration_id: str,
    transaction_type: TransactionType,
    transaction_id: str,
    deal_id: str,
) -> DealLink:
    integration = _linkable(deps, tenant_id, integration_id)
    kind = transaction_type.inventory_kind
    clients = deps.vendors.for_integration(integration)
    try:
        clients.inventory.get_transaction(kind, transaction_id)
    except NotFound:
        raise NotFoundError(f"No {transaction_type.value} {transaction_id} in inventory.") from None
    try:
        deal = clients.crm.get_record("Deals", deal_id)
    except NotFound:
        raise NotFoundError(f"No deal {deal_id} in the CRM.") from None
    link = DealLink(
        integration_id=integration_id,
        transaction_kind=kind,
        transaction_id=transaction_id,
        deal_id=deal_id,
        deal_name=deal.values.get("Deal_Name"),
        linked_at=deps.clock(),
    )
    try:
        return deps.store.save_deal_link(link)
    except ConflictError as exc:
        current: DealLink | None = exc.current
        if current is not None and current.deal_id == deal_id:
            return current
        raise ConflictError(
            "A deal-stage trigger made this association; it cannot be changed.",
            current=current and current.deal_id,
        ) from None


def dissociate(
    deps: Deps, tenant_id: str, integration_id: str, transaction_type: TransactionType, transaction_id: str
) -> None:
    _linkable(deps, tenant_id, integration_id)
    try:
        deps.store.delete_deal_link(integration_id, transaction_type.inventory_kind, transaction_id)
    except NotFoundError:
        raise NotFoundError(
            f"{transaction_type.value} {transaction_id} is not associated with a deal."
        ) from None
    except ConflictError as exc:
        raise ConflictError(
            "A deal-stage trigger made this association; it cannot be dissociated.",
            current=exc.current and exc.current.deal_id,
        ) from None


def remove_deal_links(deps: Deps, integration: Integration) -> int:
    """L2: the CRM-side finance data this service keeps for an integration is its deal links."""
    removed = deps.store.remove_deal_links(integration.integration_id)
    logger.info("deal links removed", extra={"removed": removed})
    return removed


def _linkable(deps: Deps, tenant_id: str, integration_id: str) -> Integration:
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.role is Role.SECONDARY:
        raise ConflictError("A secondary integration is fetch-from-CRM only; deals cannot be associated.")
    return integration
