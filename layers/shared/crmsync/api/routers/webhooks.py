"""The CRM notification callback (S2, A1): no API key; the channel token authenticates."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from crmsync.api.errors import error_doc
from crmsync.api.responses import ALWAYS, BODY_ERRORS, ok
from crmsync.contracts.notifications import CrmNotification, NotificationAccepted

router = Router()
ANSWER_MARGIN = timedelta(seconds=2)  # stop queueing this long before the function times out




@router.post(
    "/webhooks/crm/<integration_id>",
    summary="CRM notification callback (S2, A1)",
    security=[],
    responses=ok("Accepted; the work is queued")
    | ALWAYS
    | BODY_ERRORS
    | {
        401: error_doc("Unknown integration, channel or token; nothing is queued"),
        404: error_doc("No route: the integration id has characters no id has"),
        422: error_doc("Malformed notification"),
    },
)
def crm_notification(
    integration_id: Annotated[str, Path(max_length=64)],
    notification: Annotated[CrmNotification, Body()],
) -> NotificationAccepted:
    from crmsync.services.intake import accept_notification  # with the first callback, not at cold start

    deps = router.context["deps"]
    remaining = timedelta(milliseconds=router.lambda_context.get_remaining_time_in_millis())
    deadline = deps.clock() + remaining - ANSWER_MARGIN
    return accept_notification(deps, integration_id, notification, deadline)


def preload() -> None:
    """Import what the first callback needs now (SnapStart: before the snapshot is taken)."""
    import crmsync.services.intake  # noqa: F401
