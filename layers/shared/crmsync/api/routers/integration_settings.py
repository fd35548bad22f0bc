"""Integration-wide settings: transaction sync and its field map (T1), CRM user permissions (T2), deal
automation (A1)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from crmsync.api.errors import error_doc
from crmsync.api.lifecycle_models import AutomationIn, CrmPermissionsIn, TransactionFieldMapIn
from crmsync.api.models import IntegrationOut
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, ok
from crmsync.api.tenancy import current_tenant
from crmsync.services import lifecycle, transaction_fields

router = Router()
IntegrationId = Annotated[str, Path(max_length=64)]
ERRORS = AUTH | ALWAYS | {
    code: error_doc(text)
    for code, text in {
        404: "No such integration for this tenant",
        409: "Not allowed in this state (secondary integration, prerequisite module or T1 missing)",
        422: "Invalid fields",
    }.items()
}


def _out(integration) -> IntegrationOut:
    return IntegrationOut.of(integration, router.context["deps"].store.list_modules(integration.integration_id))


@router.post(
    "/integrations/<integration_id>/transactions/enable",
    summary="Turn on transaction sync (T1)",
    responses=ok("Transaction sync is on") | ERRORS,
)
def enable_transactions(integration_id: IntegrationId) -> IntegrationOut:
    deps = router.context["deps"]
    return _out(lifecycle.enable_transactions(deps, current_tenant(router), integration_id))


@router.put(
    "/integrations/<integration_id>/transactions/field-map",
    summary="Map fields of CRM-native quotes, sales orders and purchase orders to inventory custom fields (T1)",
    description="Replaces the whole map. Only mapped fields travel; a pair that cannot work (unknown field, "
    "type that cannot be mapped, incompatible types, currency mismatch) is refused with 422 naming it, "
    "and nothing is saved.",
    responses=ok("Field map saved") | BODY_ERRORS | ERRORS | VENDOR,
)
def put_transaction_field_map(
    integration_id: IntegrationId, body: Annotated[TransactionFieldMapIn, Body()]
) -> IntegrationOut:
    pairs = [pair.to_domain() for pair in body.field_map]
    return _out(transaction_fields.save_field_map(router.context["deps"], current_tenant(router), integration_id, pairs))


@router.put(
    "/integrations/<integration_id>/crm-permissions",
    summary="CRM users' and roles' grants (T2)",
    responses=ok("Grants saved") | BODY_ERRORS | ERRORS,
)
def put_crm_permissions(integration_id: IntegrationId, body: Annotated[CrmPermissionsIn, Body()]) -> IntegrationOut:
    deps = router.context["deps"]
    return _out(lifecycle.set_crm_grants(deps, current_tenant(router), integration_id, body.grants))


@router.put(
    "/integrations/<integration_id>/automation",
    summary="Deal-stage automation preferences (A1)",
    responses=ok("Automation saved") | BODY_ERRORS | ERRORS,
)
def put_automation(integration_id: IntegrationId, body: Annotated[AutomationIn, Body()]) -> IntegrationOut:
    deps = router.context["deps"]
    return _out(lifecycle.set_automation(deps, current_tenant(router), integration_id, body.to_domain()))
