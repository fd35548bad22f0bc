"""Integration routes: list and read (L1), connect (L1), disable (L2), enable (L3), delete (L4),
notifications (L4), pause and resume (S6)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from crmsync.api.errors import error_doc
from crmsync.api.lifecycle_models import (
    DeleteAccepted,
    DisableIn,
    EnableIn,
    NotificationList,
    NotificationOut,
    PauseIn,
)
from crmsync.api.models import IntegrationList, IntegrationOut
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, accepted, created, ok
from crmsync.api.tenancy import current_tenant
from crmsync.api.urls import public_base_url
from crmsync.contracts.connect import ConnectIn, ReauthorizeIn
from crmsync.services import integrations as service
from crmsync.services import lifecycle, reauthorization
from crmsync.services.connect import connect

router = Router()
IntegrationId = Annotated[str, Path(max_length=64)]




CURSOR = {400: error_doc("A cursor this listing did not issue")}
COMMON = AUTH | ALWAYS | {404: error_doc("No such integration for this tenant")}
STATE = COMMON | {409: error_doc("The integration is not in a state that allows this")}


def _deps():
    return router.context["deps"]


def _out(integration) -> IntegrationOut:
    return IntegrationOut.of(integration, _deps().store.list_modules(integration.integration_id))


@router.get(
    "/integrations",
    summary="List the tenant's integrations (L1)",
    responses=ok("The integrations, a page at a time") | AUTH | ALWAYS | CURSOR,
)
def list_integrations(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query()] = None,
) -> IntegrationList:
    page = service.list_integrations(_deps().store, current_tenant(router), limit=limit, cursor=cursor)
    return IntegrationList(integrations=[_out(i) for i in page.items], next_cursor=page.next_cursor)


@router.post(
    "/integrations",
    summary="Connect an inventory organization to a CRM organization (L1)",
    responses=created("Connected")
    | AUTH
    | ALWAYS
    | BODY_ERRORS
    | VENDOR
    | {
        409: error_doc("An organization is already integrated"),
        422: error_doc("Invalid fields, or a vendor prerequisite failed (edition, currency)"),
    },
)
def connect_integration(body: Annotated[ConnectIn, Body()]) -> Response[IntegrationOut]:
    integration = connect(_deps(), current_tenant(router), body, public_base_url(router))
    return Response(201, content_types.APPLICATION_JSON, _out(integration))


@router.get(
    "/integrations/<integration_id>",
    summary="One integration with its modules (L1)",
    responses=ok("The integration") | COMMON,
)
def get_integration(integration_id: IntegrationId) -> IntegrationOut:
    return _out(service.get_integration(_deps().store, current_tenant(router), integration_id))


@router.post(
    "/integrations/<integration_id>/disable",
    summary="Disable the integration (L2)",
    responses=ok("Disabled") | STATE | BODY_ERRORS,
)
def disable_integration(
    integration_id: IntegrationId, body: Annotated[DisableIn | None, Body()] = None
) -> IntegrationOut:
    confirm = bool(body and body.confirm)
    return _out(lifecycle.disable(_deps(), current_tenant(router), integration_id, confirm=confirm))


@router.post(
    "/integrations/<integration_id>/enable",
    summary="Enable a disabled integration (L3)",
    responses=ok("Enabled") | STATE | BODY_ERRORS,
)
def enable_integration(
    integration_id: IntegrationId, body: Annotated[EnableIn | None, Body()] = None
) -> IntegrationOut:
    replay = bool(body and body.replay_disabled_period)
    return _out(lifecycle.enable(_deps(), current_tenant(router), integration_id, replay_disabled_period=replay))


@router.post(
    "/integrations/<integration_id>/reauthorize",
    summary="Replace a refused (or any) OAuth grant; a `reauthorize` integration is active again (L1)",
    responses=ok("Re-authorized: both organizations answer through the grants") | STATE | BODY_ERRORS | VENDOR,
)
def reauthorize_integration(integration_id: IntegrationId, body: ReauthorizeIn) -> IntegrationOut:
    return _out(reauthorization.reauthorize(_deps(), current_tenant(router), integration_id, body))


@router.delete(
    "/integrations/<integration_id>",
    summary="Delete a disabled integration in the background (L4)",
    responses=accepted("Deletion queued; a notification follows") | STATE,
)
def delete_integration(
    integration_id: IntegrationId, keep: Annotated[Literal["all", "with_transactions"], Query()]
) -> Response[DeleteAccepted]:
    integration = lifecycle.request_delete(_deps(), current_tenant(router), integration_id, keep)
    body = DeleteAccepted(integration_id=integration_id, state=integration.state, keep=keep)
    return Response(202, content_types.APPLICATION_JSON, body)


@router.get(
    "/integrations/<integration_id>/notifications",
    summary="Notifications, newest first (L4)",
    responses=ok("The notifications, a page at a time") | COMMON | CURSOR,
)
def list_notifications(
    integration_id: IntegrationId,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query()] = None,
) -> NotificationList:
    store = _deps().store
    service.get_integration(store, current_tenant(router), integration_id)
    page = store.list_notifications(integration_id, limit=limit, cursor=cursor)
    return NotificationList(notifications=[NotificationOut.of(n) for n in page.items], next_cursor=page.next_cursor)


@router.post(
    "/integrations/<integration_id>/pause",
    summary="Pause the integration or some modules (S6)",
    responses=ok("Paused") | STATE | BODY_ERRORS,
)
def pause_integration(integration_id: IntegrationId, body: Annotated[PauseIn | None, Body()] = None) -> IntegrationOut:
    modules = body.modules if body else None
    return _out(lifecycle.pause(_deps(), current_tenant(router), integration_id, modules, paused=True))


@router.post(
    "/integrations/<integration_id>/resume",
    summary="Resume the integration or some modules (S6)",
    responses=ok("Resumed") | STATE | BODY_ERRORS,
)
def resume_integration(integration_id: IntegrationId, body: Annotated[PauseIn | None, Body()] = None) -> IntegrationOut:
    modules = body.modules if body else None
    return _out(lifecycle.pause(_deps(), current_tenant(router), integration_id, modules, paused=False))
