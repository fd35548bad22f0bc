"""The CRM's custom views a module can sync through (M5), for the view picker."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from crmsync.api.errors import error_doc
from crmsync.api.module_models import ModuleViewsOut, ViewOut
from crmsync.api.responses import ALWAYS, AUTH, VENDOR, ok
from crmsync.api.tenancy import current_tenant
from crmsync.domain.models import Module
from crmsync.services import modules as service
from crmsync.services.integrations import get_integration

router = Router()
ERRORS = AUTH | ALWAYS | VENDOR | {
    404: error_doc("No such integration for this tenant"),
    422: error_doc("Invalid module; details.fields names each field and why"),
}


@router.get(
    "/integrations/<integration_id>/modules/<module>/views",
    summary="The CRM's custom views of each CRM module a module may read (M5)",
    responses=ok("The views by `views` key: accounts and contacts, vendors, or products") | ERRORS,
)
def list_module_views(
    integration_id: Annotated[str, Path(max_length=64)],
    module: Annotated[Module, Path(description="customers, vendors or items")],
) -> ModuleViewsOut:
    deps = router.context["deps"]
    integration = get_integration(deps.store, current_tenant(router), integration_id)
    found = service.list_views(deps.vendors.for_integration(integration), module)
    return ModuleViewsOut(views={key: [ViewOut.of(v) for v in views] for key, views in found.items()})
