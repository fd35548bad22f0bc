"""CRM-side routes (T1, T2): what a CRM user sees and does in the finance section of a deal or account.

Every route names the acting CRM user in `X-Crm-User-Id` (and optionally `X-Crm-Role-Id`); the
integration's T2 grants decide (403 naming the missing permission).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from crmsync.api.automation_models import OrganizationOut, TransactionList, TransactionOut
from crmsync.api.errors import error_doc
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, created, ok
from crmsync.api.tenancy import current_tenant
from crmsync.contracts.crm_side import CrmSideTransactionIn
from crmsync.services import transactions as service
from crmsync.services.transactions import CrmActor

router = Router()
IntegrationId = Annotated[str, Path(max_length=64)]
CrmRecordId = Annotated[str, Path(max_length=40)]
CrmUserId = Annotated[str, Header(min_length=1, max_length=40, description="The acting CRM user")]
CrmRoleId = Annotated[str | None, Header(max_length=40, description="The acting CRM user's role")]




ERRORS = AUTH | ALWAYS | VENDOR | {
    403: error_doc("The CRM user's grants lack the permission named in details.permission (T2)"),
    404: error_doc("No such integration for this tenant, or the CRM record is not linked"),
    409: error_doc("Transaction sync is off, or the integration is secondary"),
    422: error_doc("Invalid fields or missing X-Crm-User-Id; details.fields names each"),
}
CREATED = created("Created in inventory") | BODY_ERRORS | ERRORS


def _listing(found) -> TransactionList:
    return TransactionList(transactions=[TransactionOut.of(kind, record) for kind, record in found])


def _create(
    integration_id: str, kind: str, body: CrmSideTransactionIn, user: str, role: str | None
) -> Response:
    record = service.create_from_crm_side(
        router.context["deps"], current_tenant(router), integration_id, CrmActor(user, role), kind, body
    )
    return Response(201, content_types.APPLICATION_JSON, TransactionOut.of(kind, record))


@router.get(
    "/integrations/<integration_id>/crm-side/organization",
    summary="The inventory organization's shared name, email, country and users (L1)",
    responses=ok("The organization") | {code: ERRORS[code] for code in (401, 404, 422, 429, 503)},
)
def get_organization(integration_id: IntegrationId, x_crm_user_id: CrmUserId) -> OrganizationOut:
    return OrganizationOut.of(
        service.organization(router.context["deps"], current_tenant(router), integration_id)
    )


@router.get(
    "/integrations/<integration_id>/crm-side/deals/<deal_id>/transactions",
    summary="Inventory invoices, sales orders, purchase orders and quotes of a deal (T1, T2)",
    responses=ok("The deal's transactions") | ERRORS,
)
def deal_transactions(
    integration_id: IntegrationId,
    deal_id: CrmRecordId,
    x_crm_user_id: CrmUserId,
    x_crm_role_id: CrmRoleId = None,
) -> TransactionList:
    return _listing(
        service.deal_transactions(
            router.context["deps"],
            current_tenant(router),
            integration_id,
            CrmActor(x_crm_user_id, x_crm_role_id),
            deal_id,
        )
    )


@router.get(
    "/integrations/<integration_id>/crm-side/accounts/<crm_id>/transactions",
    summary="Inventory invoices, sales orders and quotes of a CRM account's customer (T1, T2)",
    responses=ok("The customer's transactions") | ERRORS,
)
def account_transactions(
    integration_id: IntegrationId,
    crm_id: CrmRecordId,
    x_crm_user_id: CrmUserId,
    x_crm_role_id: CrmRoleId = None,
) -> TransactionList:
    return _listing(
        service.account_transactions(
            router.context["deps"],
            current_tenant(router),
            integration_id,
            CrmActor(x_crm_user_id, x_crm_role_id),
            crm_id,
        )
    )


@router.get(
    "/integrations/<integration_id>/crm-side/vendors/<crm_id>/transactions",
    summary="Inventory purchase orders of a CRM vendor's inventory vendor, newest first (T1, T2)",
    responses=ok("The vendor's purchase orders") | ERRORS,
)
def vendor_transactions(
    integration_id: IntegrationId,
    crm_id: CrmRecordId,
    x_crm_user_id: CrmUserId,
    x_crm_role_id: CrmRoleId = None,
) -> TransactionList:
    return _listing(
        service.vendor_purchase_orders(
            router.context["deps"],
            current_tenant(router),
            integration_id,
            CrmActor(x_crm_user_id, x_crm_role_id),
            crm_id,
        )
    )


@router.post(
    "/integrations/<integration_id>/crm-side/quotes",
    summary="Create a quote in inventory now (T1, T2)",
    responses=CREATED,
)
def create_quote(
    integration_id: IntegrationId,
    body: Annotated[CrmSideTransactionIn, Body()],
    x_crm_user_id: CrmUserId,
    x_crm_role_id: CrmRoleId = None,
) -> Response[TransactionOut]:
    return _create(integration_id, "estimates", body, x_crm_user_id, x_crm_role_id)


@router.post(
    "/integrations/<integration_id>/crm-side/sales-orders",
    summary="Create a sales order in inventory now (T1, T2)",
    responses=CREATED,
)
def create_sales_order(
    integration_id: IntegrationId,
    body: Annotated[CrmSideTransactionIn, Body()],
    x_crm_user_id: CrmUserId,
    x_crm_role_id: CrmRoleId = None,
) -> Response[TransactionOut]:
    return _create(integration_id, "salesorders", body, x_crm_user_id, x_crm_role_id)
