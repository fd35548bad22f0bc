"""W3: a customer's deals from the CRM; associating a deal with a quote, sales order, invoice or expense."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from crmsync.api.automation_models import DealLinkIn, DealLinkOut, DealList, DealOut
from crmsync.api.errors import error_doc
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, no_content, ok
from crmsync.api.tenancy import current_tenant
from crmsync.domain.automation import TransactionType
from crmsync.ports.crm import CrmRecord
from crmsync.services import deals as service

router = Router()
IntegrationId = Annotated[str, Path(max_length=64)]
TxnId = Annotated[str, Path(max_length=40)]
LinkableType = Annotated[Literal["quotes", "sales_orders", "invoices", "expenses"], Path()]




READ = AUTH | ALWAYS | VENDOR | {
    404: error_doc("No such integration, or the customer is not linked to a CRM record"),
    422: error_doc("Invalid query"),
}
WRITE = READ | {
    404: error_doc("No such integration, transaction or deal, or no association to remove"),
    409: error_doc("A trigger made the association (A5), or the integration is secondary"),
}


def _deal(record: CrmRecord) -> DealOut:
    values = record.values

    def ref(key: str, part: str) -> str | None:
        value = values.get(key)
        return str(value[part]) if isinstance(value, dict) and value.get(part) else None

    return DealOut(
        deal_id=record.id,
        deal_name=values.get("Deal_Name"),
        stage=values.get("Stage"),
        amount=values.get("Amount"),
        closing_date=values.get("Closing_Date"),
        account_id=ref("Account_Name", "id"),
        account_name=ref("Account_Name", "name"),
        contact_id=ref("Contact_Name", "id"),
        contact_name=ref("Contact_Name", "name"),
        owner=ref("Owner", "name"),
    )


@router.get(
    "/integrations/<integration_id>/deals",
    summary="A customer's deals in the CRM (W3)",
    responses=ok("The deals") | READ,
)
def search_deals(
    integration_id: IntegrationId,
    customer_id: Annotated[str | None, Query(max_length=40, description="inventory customer id")] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description="part of the deal name")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DealList:
    records = service.search_deals(
        router.context["deps"],
        current_tenant(router),
        integration_id,
        customer_id=customer_id,
        q=q,
        limit=limit,
    )
    return DealList(deals=[_deal(r) for r in records])


@router.put(
    "/integrations/<integration_id>/transactions/<type>/<txn_id>/deal",
    summary="Associate a deal with a quote, sales order, invoice or expense (W3)",
    responses=ok("Associated") | BODY_ERRORS | WRITE,
)
def associate_deal(
    integration_id: IntegrationId, type: LinkableType, txn_id: TxnId, body: Annotated[DealLinkIn, Body()]
) -> DealLinkOut:
    link = service.associate(
        router.context["deps"],
        current_tenant(router),
        integration_id,
        TransactionType(type),
        txn_id,
        body.deal_id,
    )
    return DealLinkOut.of(link)


@router.delete(
    "/integrations/<integration_id>/transactions/<type>/<txn_id>/deal",
    summary="Dissociate a deal; refused for a trigger-made association (W3, A5)",
    responses=no_content("Dissociated") | WRITE,
)
def dissociate_deal(integration_id: IntegrationId, type: LinkableType, txn_id: TxnId) -> Response[None]:
    service.dissociate(
        router.context["deps"], current_tenant(router), integration_id, TransactionType(type), txn_id
    )
    return Response(204)
