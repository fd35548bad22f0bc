"""Integration routes (L1-L4); more arrive with the lifecycle issue."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from crmsync.api.errors import ErrorResponse
from crmsync.api.models import IntegrationList, IntegrationOut
from crmsync.api.tenancy import current_tenant
from crmsync.services import integrations as service

router = Router()

ERRORS = {
    401: {"description": "Missing or bad API key", "content": {"application/json": {"model": ErrorResponse}}},
    404: {"description": "No such integration for this tenant", "content": {"application/json": {"model": ErrorResponse}}},
}


@router.get("/integrations", summary="List the tenant's integrations (L1)", responses={401: ERRORS[401]})
def list_integrations(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query()] = None,
) -> IntegrationList:
    store = router.context["container"].store
    page = service.list_integrations(store, current_tenant(router), limit=limit, cursor=cursor)
    return IntegrationList(integrations=[IntegrationOut.of(i) for i in page.items], next_cursor=page.next_cursor)


@router.get("/integrations/<integration_id>", summary="One integration with its modules (L1)", responses=ERRORS)
def get_integration(integration_id: Annotated[str, Path(max_length=64)]) -> IntegrationOut:
    store = router.context["container"].store
    return IntegrationOut.of(service.get_integration(store, current_tenant(router), integration_id))
