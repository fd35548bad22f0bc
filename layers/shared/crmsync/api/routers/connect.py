"""One-click connect (L1 through the vendor's consent): start, the OAuth callback, the organizations
the consent reaches, and completing the connect with the ones picked."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from crmsync.api.consent_pages import consented_redirect, failure_page
from crmsync.api.errors import error_doc
from crmsync.api.lifecycle_models import ConnectAttemptOut, ConnectCompleteIn, ConnectStarted
from crmsync.api.models import IntegrationOut
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, created, ok
from crmsync.api.tenancy import current_tenant
from crmsync.api.urls import base_path, public_base_url
from crmsync.contracts.connect import ConnectStartIn
from crmsync.services import consent

router = Router()
ConnectId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{32}$")]
NOT_SET_UP = {409: error_doc("This deployment has no OAuth client yet, or the connect is not in that state")}


def _callback_url() -> str:
    return f"{public_base_url(router)}/oauth/callback"


def _console_url() -> str:
    return f"{base_path(router)}/console"


@router.post(
    "/connect",
    summary="Start a one-click connect: the consent URL to send the admin's browser to (L1)",
    responses=created("The connect started; go to authorize_url") | AUTH | ALWAYS | BODY_ERRORS | NOT_SET_UP,
)
def start_connect(body: Annotated[ConnectStartIn, Body()]) -> Response[ConnectStarted]:
    attempt, url = consent.start_connect(router.context["deps"], current_tenant(router), body, _callback_url())
    started = ConnectStarted(connect_id=attempt.connect_id, authorize_url=url, expires_at=attempt.state_expires_at)
    return Response(201, content_types.APPLICATION_JSON, started, headers={"Location": url})


@router.get(
    "/oauth/callback",
    summary="Where the vendor's consent page returns the admin's browser (an HTML page)",
    security=[],
    responses=ALWAYS
    | {
        303: {"description": "Consent received: on to the console's organization picker", "content": {"text/html": {}}},
        400: {
            "description": "Declined, a bad, expired or used state, a refused code, or no OAuth client set up",
            "content": {"text/html": {}},
        },
    },
)
def oauth_callback(
    state: Annotated[str | None, Query(max_length=2000)] = None,
    code: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    try:
        attempt = consent.finish_consent(
            router.context["deps"], state=state, code=code, error=error, callback_url=_callback_url()
        )
    except consent.ConsentFailed as failed:
        return failure_page(failed.reason, str(failed), _console_url())
    return consented_redirect(attempt, _console_url())


@router.get(
    "/connect/<connect_id>",
    summary="A connect in progress: its state and the organizations the consent reaches (L1)",
    responses=ok("The connect") | AUTH | ALWAYS | {404: error_doc("No such connect for this tenant")},
)
def get_connect(connect_id: ConnectId) -> ConnectAttemptOut:
    return ConnectAttemptOut.of(consent.get_attempt(router.context["deps"], current_tenant(router), connect_id))


@router.post(
    "/connect/<connect_id>/complete",
    summary="Connect the organizations picked; the vendor's prerequisites run as for any connect (L1)",
    responses=created("Connected")
    | AUTH
    | ALWAYS
    | BODY_ERRORS
    | VENDOR
    | NOT_SET_UP
    | {404: error_doc("No such connect for this tenant"),
       422: error_doc("An organization the consent does not reach, or a vendor prerequisite failed")},
)
def complete_connect(connect_id: ConnectId, body: Annotated[ConnectCompleteIn, Body()]) -> Response[IntegrationOut]:
    deps = router.context["deps"]
    integration = consent.complete_connect(
        deps, current_tenant(router), connect_id, body.crm_org_id, body.inventory_organization_id,
        public_base_url(router),
    )
    out = IntegrationOut.of(integration, deps.store.list_modules(integration.integration_id))
    return Response(201, content_types.APPLICATION_JSON, out)
