"""The activity log and audit trail of an integration (A4), newest first."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from crmsync.api.automation_models import ActivityList, ActivityOut
from crmsync.api.errors import error_doc
from crmsync.api.responses import ALWAYS, AUTH, ok
from crmsync.api.tenancy import current_tenant
from crmsync.services.integrations import get_integration

router = Router()
ERRORS = {
    code: error_doc(text)
    for code, text in {
        400: "A cursor this listing did not issue",
        404: "No such integration for this tenant",
    }.items()
}


@router.get(
    "/integrations/<integration_id>/activity",
    summary="Activity log and audit trail, newest first (A4)",
    responses=ok("The entries, a page at a time") | AUTH | ALWAYS | ERRORS,
)
def list_activity(
    integration_id: Annotated[str, Path(max_length=64)],
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> ActivityList:
    store = router.context["deps"].store
    get_integration(store, current_tenant(router), integration_id)
    page = store.list_activity(integration_id, limit=limit, cursor=cursor)
    return ActivityList(entries=[ActivityOut.of(e) for e in page.items], next_cursor=page.next_cursor)
