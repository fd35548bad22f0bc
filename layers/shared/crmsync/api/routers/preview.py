"""Preview routes (B2): plan a module's next run without writing anything, and read what it found."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from crmsync.api.errors import error_doc
from crmsync.api.module_models import PreferencesIn
from crmsync.api.preview_models import PreviewSampleList, PreviewSampleOut, PreviewTallyOut
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, accepted, ok
from crmsync.api.sync_models import RunOut
from crmsync.api.tenancy import current_tenant
from crmsync.domain.errors import NotFoundError
from crmsync.domain.models import Module, Trigger
from crmsync.domain.preview import PreviewOutcome, PreviewTally
from crmsync.services.integrations import get_integration
from crmsync.services.modules import default_direction
from crmsync.services.sync.preview import start_preview

router = Router()
IntegrationId = Annotated[str, Path(max_length=64)]
ModuleName = Annotated[Module, Path(description="customers, vendors or items")]
RunId = Annotated[str, Path(max_length=64)]

COMMON = AUTH | ALWAYS | {404: error_doc("No such integration (or preview run) for this tenant")}
START_ERRORS = (
    COMMON
    | BODY_ERRORS
    | VENDOR
    | {
        409: error_doc("The integration or module is paused or disabled, or the module is not configured"),
        422: error_doc("Proposed preferences a save would refuse; details.fields names each field and why"),
    }
)


@router.post(
    "/integrations/<integration_id>/modules/<module>/preview",
    summary="Preview the module's next run without writing anything (B2); body: proposed preferences",
    responses=accepted("The preview run, queued; follow it at GET .../runs/{run_id}") | START_ERRORS,
)
def preview_module(
    integration_id: IntegrationId,
    module: ModuleName,
    preferences: Annotated[PreferencesIn | None, Body()] = None,
) -> Response[RunOut]:
    deps = router.context["deps"]
    tenant = current_tenant(router)
    proposed = None
    if preferences is not None:
        integration = get_integration(deps.store, tenant, integration_id)
        proposed = preferences.to_settings(default_direction(integration))
    run = start_preview(deps, tenant, integration_id, module, proposed)
    return Response(202, content_types.APPLICATION_JSON, RunOut.of(run))


@router.get(
    "/integrations/<integration_id>/runs/<run_id>/preview",
    summary="A preview's tally and its samples (up to 50 per outcome), a page at a time (B2)",
    responses=ok("The tally and a page of samples")
    | COMMON
    | {400: error_doc("A cursor this listing did not issue")},
)
def list_preview_samples(
    integration_id: IntegrationId,
    run_id: RunId,
    outcome: Annotated[
        PreviewOutcome | None, Query(description="one outcome's samples; all when left out")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> PreviewSampleList:
    store = router.context["deps"].store
    get_integration(store, current_tenant(router), integration_id)
    run = store.get_run(integration_id, run_id)
    if run is None or run.trigger is not Trigger.PREVIEW:
        raise NotFoundError(f"No preview run {run_id}.")
    page = store.list_preview_samples(run.run_id, outcome=outcome, limit=limit, cursor=cursor)
    return PreviewSampleList(
        run_id=run.run_id,
        tally=PreviewTallyOut.of(run.preview or PreviewTally()),
        samples=[PreviewSampleOut.of(s) for s in page.items],
        next_cursor=page.next_cursor,
    )
