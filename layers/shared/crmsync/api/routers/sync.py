"""Sync routes: instant sync (S3), run history (S5), re-sync one contact (S4), the customers and
vendors that came from the CRM (W1), CRM search and import (W2)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from crmsync.api.errors import error_doc
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, accepted, ok
from crmsync.api.sync_models import (
    ContactOut,
    CrmContactList,
    CrmContactOut,
    CrmRecordOut,
    CrmSearchOut,
    FailureOut,
    ImportedOut,
    ImportIn,
    OpenFailureList,
    OpenFailureOut,
    RunFailureList,
    RunList,
    RunOut,
    StartedRunOut,
    SyncAccepted,
    SyncIn,
)
from crmsync.api.tenancy import current_tenant
from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import IntegrationState, Module
from crmsync.domain.sync_state import SyncRun
from crmsync.services.integrations import get_integration
from crmsync.services.sync import manual, queries, resync
from crmsync.services.sync.imports import import_crm_record

router = Router()
IntegrationId = Annotated[str, Path(max_length=64)]
RunId = Annotated[str, Path(max_length=64)]




COMMON = AUTH | ALWAYS | {404: error_doc("No such integration (or record) for this tenant")}
CURSOR = {400: error_doc("A cursor this listing did not issue")}
STATE = COMMON | {409: error_doc("The integration or module is paused, disabled or not configured")}


def _deps():
    return router.context["deps"]


def _integration(integration_id: str):
    return get_integration(_deps().store, current_tenant(router), integration_id)


def _run(integration_id: str, run_id: str) -> SyncRun:
    """The integration's run, checked to be the tenant's; NotFoundError otherwise."""
    _integration(integration_id)
    run = _deps().store.get_run(integration_id, run_id)
    if run is None:
        raise NotFoundError(f"No run {run_id}.")
    return run


@router.post(
    "/integrations/<integration_id>/sync",
    summary="Sync now (S3): one run per module, default every configured module",
    responses=accepted("Runs queued (or already going)") | STATE | BODY_ERRORS,
)
def sync_now(integration_id: IntegrationId, body: Annotated[SyncIn | None, Body()] = None) -> Response[SyncAccepted]:
    started = manual.sync_now(_deps(), current_tenant(router), integration_id, body.modules if body else None)
    runs = [StartedRunOut(run_id=r.run_id, module=r.module, status=r.status) for r in started]
    return Response(202, content_types.APPLICATION_JSON, SyncAccepted(runs=runs))


@router.get(
    "/integrations/<integration_id>/runs",
    summary="Run history, newest first (S5)",
    responses=ok("The runs, a page at a time") | COMMON | CURSOR,
)
def list_runs(
    integration_id: IntegrationId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> RunList:
    _integration(integration_id)
    page = _deps().store.list_runs(integration_id, limit=limit, cursor=cursor)
    return RunList(runs=[RunOut.of(run) for run in page.items], next_cursor=page.next_cursor)


@router.get(
    "/integrations/<integration_id>/failures",
    summary="Open failures: records that failed to sync and have not synced since, by module (S5)",
    responses=ok("The open failures, a page at a time") | COMMON | CURSOR,
)
def list_open_failures(
    integration_id: IntegrationId,
    module: Annotated[Module | None, Query(description="customers, vendors or items; all when left out")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> OpenFailureList:
    _integration(integration_id)
    page = _deps().store.list_open_failures(integration_id, module=module, limit=limit, cursor=cursor)
    return OpenFailureList(failures=[OpenFailureOut.of(f) for f in page.items], next_cursor=page.next_cursor)


@router.get(
    "/integrations/<integration_id>/runs/<run_id>",
    summary="One run, with its progress and how many records failed in it (S5)",
    responses=ok("The run") | COMMON,
)
def get_run(integration_id: IntegrationId, run_id: RunId) -> RunOut:
    return RunOut.of(_run(integration_id, run_id))


@router.get(
    "/integrations/<integration_id>/runs/<run_id>/failures",
    summary="The records that failed in one run, with the vendor's reason, a page at a time (S5)",
    responses=ok("The run's failures, a page at a time") | COMMON | CURSOR,
)
def list_run_failures(
    integration_id: IntegrationId,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> RunFailureList:
    run = _run(integration_id, run_id)
    page = _deps().store.list_run_failures(run.run_id, limit=limit, cursor=cursor)
    return RunFailureList(failures=[FailureOut.of(f) for f in page.items], next_cursor=page.next_cursor)


@router.post(
    "/integrations/<integration_id>/contacts/<inventory_contact_id>/resync",
    summary="Re-sync one customer or vendor from the CRM now (S4)",
    responses=ok("The contact as re-synced")
    | STATE
    | VENDOR
    | {422: error_doc("Inventory refused the CRM's values; the message says why")},
)
def resync_contact(
    integration_id: IntegrationId, inventory_contact_id: Annotated[str, Path(max_length=64)]
) -> ContactOut:
    record = resync.resync_contact(_deps(), current_tenant(router), integration_id, inventory_contact_id)
    return ContactOut.of(record)


@router.get(
    "/integrations/<integration_id>/contacts",
    summary="Customers or vendors that came from the CRM (W1)",
    responses=ok("The contacts, a page at a time") | COMMON | CURSOR | {422: error_doc("Invalid query")},
)
def list_crm_contacts(
    integration_id: IntegrationId,
    source: Annotated[Literal["crm"], Query()],
    type: Annotated[Literal["customer", "vendor"], Query()] = "customer",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> CrmContactList:
    integration = _integration(integration_id)
    page = queries.list_crm_contacts(_deps().store, integration, type, limit=limit, cursor=cursor)
    contacts = [
        CrmContactOut(
            inventory_contact_id=c.inventory_contact_id,
            name=c.name,
            crm_id=c.crm_id,
            crm_module=c.crm_module,
            origin=c.origin.value if c.origin else None,
        )
        for c in page.items
    ]
    return CrmContactList(contacts=contacts, next_cursor=page.next_cursor)


@router.get(
    "/integrations/<integration_id>/crm/search",
    summary="Search the CRM: accounts by name (each with its contacts), contacts by first and last name, "
    "vendors by name (W2)",
    responses=ok("The matching CRM records")
    | COMMON
    | VENDOR
    | {422: error_doc("Invalid query; details.fields names each field and why")},
)
def search_crm(
    integration_id: IntegrationId,
    module: Annotated[Literal["accounts", "contacts", "vendors"], Query()],
    name: Annotated[str | None, Query(max_length=200)] = None,
    first_name: Annotated[str | None, Query(max_length=100)] = None,
    last_name: Annotated[str | None, Query(max_length=100)] = None,
) -> CrmSearchOut:
    integration = _integration(integration_id)
    found = queries.search_crm(
        _deps(), integration, module, name=name, first_name=first_name, last_name=last_name
    )
    return CrmSearchOut(
        records=[
            CrmRecordOut(
                crm_id=r.crm_id,
                module=r.module,
                name=r.name,
                values=r.values,
                inventory_contact_id=r.inventory_contact_id,
                account_crm_id=r.account_crm_id,
            )
            for r in found
        ]
    )


@router.post(
    "/integrations/<integration_id>/crm/import",
    summary="Import a CRM account, contact or vendor as an inventory customer or vendor now (W2)",
    responses=ok("Imported (or imported before)") | STATE | VENDOR | BODY_ERRORS,
)
def import_from_crm(integration_id: IntegrationId, body: Annotated[ImportIn, Body()]) -> ImportedOut:
    deps = _deps()
    integration = _integration(integration_id)
    if integration.state is not IntegrationState.ACTIVE:
        raise ConflictError(f"The integration is {integration.state}; it cannot import now.", current=integration.state)
    mapping = import_crm_record(deps, integration, body.module, body.crm_id)
    contact = deps.vendors.for_integration(integration).inventory.get_contact(str(mapping.inventory_id))
    return ImportedOut(crm_id=body.crm_id, module=body.module, contact=ContactOut.of(contact))
