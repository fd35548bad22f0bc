"""Module routes (M1-M9, S7): preferences with status, and the fields to build a mapping from."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from crmsync.api.errors import error_doc
from crmsync.api.module_models import ModuleFieldsOut, ModuleOut, PreferencesIn
from crmsync.api.responses import ALWAYS, AUTH, BODY_ERRORS, VENDOR, ok
from crmsync.api.tenancy import current_tenant
from crmsync.domain.models import CrmSource, Integration, Module, ModulePreferences
from crmsync.services import modules as service
from crmsync.services.integrations import get_integration
from crmsync.services.sync.runs import current_run

router = Router()




READ_ERRORS = AUTH | ALWAYS | VENDOR | {
    404: error_doc("No such integration for this tenant"),
    422: error_doc("Invalid module or query; details.fields names each field and why"),
}
SAVE_ERRORS = BODY_ERRORS | READ_ERRORS | {
    409: error_doc("Stale version (details.current is the current one), or no sync possible now"),
    422: error_doc("Preferences that cannot work; details.fields names each field and why"),
}

IntegrationId = Annotated[str, Path(max_length=64)]
ModuleName = Annotated[Module, Path(description="customers, vendors or items")]


def _integration(integration_id: str) -> Integration:
    store = router.context["deps"].store
    return get_integration(store, current_tenant(router), integration_id)


def _out(preferences: ModulePreferences) -> ModuleOut:
    run = current_run(router.context["deps"].store, preferences)
    return ModuleOut.of(preferences, run.progress if run else None)


@router.put(
    "/integrations/<integration_id>/modules/<module>",
    summary="Save a module's preferences, optionally syncing now (M1-M9, S7)",
    responses=ok("Saved; the preferences with status") | SAVE_ERRORS,
)
def save_module(
    integration_id: IntegrationId,
    module: ModuleName,
    preferences: PreferencesIn,
    sync: Annotated[Literal["now", "later"], Query(description="now: queue a manual sync")] = "later",
) -> ModuleOut:
    integration = _integration(integration_id)
    deps = router.context["deps"]
    saved = service.save_preferences(
        deps,
        integration,
        module,
        preferences.to_settings(service.default_direction(integration)),
        version=preferences.version,
        sync_now=sync == "now",
    )
    return _out(saved)


@router.get(
    "/integrations/<integration_id>/modules/<module>",
    summary="A module's preferences and status, with its last run's counts and progress (M8)",
    responses=ok("The preferences with status") | READ_ERRORS,
)
def get_module(integration_id: IntegrationId, module: ModuleName) -> ModuleOut:
    integration = _integration(integration_id)
    store = router.context["deps"].store
    return _out(service.read_preferences(store, integration, module))


@router.get(
    "/integrations/<integration_id>/modules/<module>/fields",
    summary="Both sides' fields and the default mapping of a module (M6)",
    responses=ok("Both sides' fields and the default mapping") | READ_ERRORS,
)
def list_module_fields(
    integration_id: IntegrationId,
    module: ModuleName,
    crm_source: Annotated[CrmSource, Query(description="customers only")] = CrmSource.ACCOUNTS,
) -> ModuleFieldsOut:
    integration = _integration(integration_id)
    clients = router.context["deps"].vendors.for_integration(integration)
    return ModuleFieldsOut.of(service.list_fields(clients, module, crm_source))
