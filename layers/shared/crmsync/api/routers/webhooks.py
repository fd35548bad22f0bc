"""The CRM notification callback (S2, A1): no API key; the channel token authenticates."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from crmsync.api.errors import error_doc
from crmsync.contracts.notifications import CrmNotification, NotificationAccepted
from crmsync.services.intake import accept_notification

router = Router()




@router.post(
    "/webhooks/crm/<integration_id>",
    summary="CRM notification callback (S2, A1)",
    security=[],
    responses={
        401: error_doc("Unknown integration, channel or token; nothing is queued"),
        413: error_doc("Body too large"),
        422: error_doc("Malformed notification"),
    },
)
def crm_notification(
    integration_id: Annotated[str, Path(max_length=64)],
    notification: Annotated[CrmNotification, Body()],
) -> NotificationAccepted:
    return accept_notification(router.context["deps"], integration_id, notification)
