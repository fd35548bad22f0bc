"""Retrying open failures (S5; console issue, point 4): one record, or every open failure of a module
or of all modules, now or, past `retry.INLINE_LIMIT`, as queued retry runs."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from crmsync.api.errors import error_doc
from crmsync.api.failure_models import RetriedOut, RetryIn
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR
from crmsync.api.sync_models import StartedRunOut, SyncAccepted
from crmsync.api.tenancy import current_tenant
from crmsync.domain.errors import InvalidFieldsError
from crmsync.domain.models import Side
from crmsync.services.sync import retry

router = Router()

OUTCOMES = {
    200: {
        "description": f"Retried now: one record, or at most {retry.INLINE_LIMIT} open failures in all",
        "content": {"application/json": {"model": RetriedOut}},
    },
    202: {
        "description": f"More than {retry.INLINE_LIMIT}: a retry run queued per module with open failures",
        "content": {"application/json": {"model": SyncAccepted}},
    },
}
ERRORS = AUTH | ALWAYS | VENDOR | BODY_ERRORS | {
    404: error_doc("No such integration for this tenant, or the record has no open failure"),
    409: error_doc("The integration is not active, a module is paused or not configured, or a run of it is going"),
}


@router.post(
    "/integrations/<integration_id>/failures/retry",
    summary="Retry open failures: one record, or every one of a module or of all modules (S5)",
    responses=OUTCOMES | ERRORS,
)
def retry_failures(
    integration_id: Annotated[str, Path(max_length=64)], body: Annotated[RetryIn | None, Body()] = None
) -> Response[RetriedOut | SyncAccepted]:
    wanted = body or RetryIn()
    if wanted.record_id is not None and wanted.module is None:
        raise InvalidFieldsError([("module", "Required with record_id: the module the record failed in.")])
    outcome = retry.retry_failures(
        router.context["deps"],
        current_tenant(router),
        integration_id,
        module=wanted.module,
        record_id=wanted.record_id,
        side=Side(wanted.side) if wanted.side else None,
    )
    if isinstance(outcome, retry.Retried):
        return Response(200, content_types.APPLICATION_JSON, RetriedOut.of(outcome))
    runs = [StartedRunOut(run_id=r.run_id, module=r.module, status=r.status) for r in outcome]
    return Response(202, content_types.APPLICATION_JSON, SyncAccepted(runs=runs))
