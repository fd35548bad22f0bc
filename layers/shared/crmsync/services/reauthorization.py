"""Re-authorization (issue 13, point 2): a refresh token the vendor refused stops the integration in
a visible state until the admin gives a new grant, and no queued work is lost.

- `needed`: an active integration becomes `reauthorize`, with the reason (which vendor, its error
  code). Its schedules and the deal catch-up skip it, as they list active integrations only. The
  sync step that met the refusal holds its run where it is ("waiting for re-authorization"). Deal
  events come back every 15 minutes (`HOLD_DELAY_S`) until the grant is replaced.
- `reauthorize`: new grants for either side or both (a refresh token, or a one-time code to
  exchange) are checked against the integration's own organizations and stored. The integration
  is active again, and the runs it held are queued again at once. Its `grants_replaced_at` tells
  every other execution environment to rebuild its cached clients from the stored grants (a warm
  sync worker still holding the revoked refresh token would otherwise put it back in `reauthorize`). An active integration can be
  re-authorized too, to replace a grant before it is revoked.
"""

from __future__ import annotations

from typing import Literal

from crmsync.contracts.connect import OAuthGrantIn, ReauthorizeIn
from crmsync.contracts.queues import DealEventMessage
from crmsync.domain.errors import ConflictError, InvalidFieldsError
from crmsync.domain.models import Integration, IntegrationState, ModuleStatus
from crmsync.domain.sync_state import SyncRun
from crmsync.observability import logger, metrics
from crmsync.ports.errors import AuthorizationExpired, NotFound
from crmsync.ports.secrets import IntegrationCredentials, OAuthCredentials
from crmsync.services.activity import record_activity
from crmsync.services.connect import grant_credentials, refuse_custom_endpoints
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration, update_integration
from crmsync.services.sync import runs

HOLD_DELAY_S = 900  # SQS's longest delay: a held deal event comes back this often
REAUTHORIZABLE = {IntegrationState.ACTIVE, IntegrationState.PAUSED, IntegrationState.REAUTHORIZE}
WAITING_FOR = "re-authorization"


def needed(deps: Deps, integration_id: str, refused: AuthorizationExpired) -> None:
    """Puts an active integration in the `reauthorize` state (once; later refusals change nothing)."""
    vendor = "The CRM" if refused.system == "crm" else "The inventory system"
    reason = f"{vendor} refused the refresh token ({refused.code or 'refused'}): re-authorize the integration."
    try:
        deps.store.transition_integration(
            integration_id, allowed_from={IntegrationState.ACTIVE}, to=IntegrationState.REAUTHORIZE
        )
    except ConflictError:
        return  # marked already, or paused or stopped: nothing runs there
    update_integration(deps.store, integration_id, lambda i: i.model_copy(update={"reauthorize_reason": reason}))
    deps.vendors.forget(integration_id)
    metrics.add_metric(name="ReauthorizationNeeded", unit="Count", value=1)  # alarmed in template.yaml
    record_activity(
        deps.store, deps.clock, integration_id, "reauthorization_needed", "failed",
        details={"system": refused.system, "code": refused.code},
    )
    logger.warning("re-authorization needed", extra={"system": refused.system, "code": refused.code})


def reauthorize(deps: Deps, tenant_id: str, integration_id: str, request: ReauthorizeIn) -> Integration:
    """Replaces the grants given, once both organizations answer through them; resumes held work."""
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.state not in REAUTHORIZABLE:
        raise ConflictError(f"The integration is {integration.state}; it cannot be re-authorized.",
                            current=integration.state)
    refuse_custom_endpoints(deps, {
        "crm.base_url": request.crm.base_url if request.crm else None,
        "inventory.base_url": request.inventory.base_url if request.inventory else None,
    })
    current = deps.credentials.get(integration_id)
    credentials = IntegrationCredentials(
        crm=_side(deps, "crm", request.crm, current.crm),
        inventory=_side(deps, "inventory", request.inventory, current.inventory),
    )
    _check_reaches(deps, integration, credentials)
    deps.credentials.put(integration_id, credentials)
    deps.vendors.forget(integration_id)
    replaced = {"reauthorize_reason": None, "grants_replaced_at": deps.clock()}  # other processes rebuild
    if integration.state is IntegrationState.REAUTHORIZE:
        deps.store.transition_integration(
            integration_id, allowed_from={IntegrationState.REAUTHORIZE}, to=IntegrationState.ACTIVE
        )
    integration = update_integration(deps.store, integration_id, lambda i: i.model_copy(update=replaced)) or integration
    if integration.state is IntegrationState.ACTIVE:
        _resume_held_runs(deps, integration_id)
    record_activity(deps.store, deps.clock, integration_id, "reauthorized", "done",
                    details={"crm": request.crm is not None, "inventory": request.inventory is not None})
    return integration


def _side(
    deps: Deps, system: Literal["crm", "inventory"], grant: OAuthGrantIn | None, current: OAuthCredentials
) -> OAuthCredentials:
    """The side's new credentials (where the grant does not say its data centre or base URL, the
    stored ones), or the stored ones when no grant is given for it."""
    if grant is None:
        return current
    kept = {name: getattr(current, name) for name in ("data_center", "base_url") if name not in grant.model_fields_set}
    return grant_credentials(deps, system, grant.model_copy(update=kept))


def _check_reaches(deps: Deps, integration: Integration, credentials: IntegrationCredentials) -> None:
    """422 naming the side whose grant is refused or reaches another organization."""
    clients = deps.vendors.for_credentials(credentials, integration.inventory_org_id)
    try:
        org = clients.crm.get_org()
    except AuthorizationExpired:
        raise InvalidFieldsError([("crm", "the CRM refused this OAuth grant")]) from None
    if org.id != integration.crm_org_id:
        raise InvalidFieldsError([("crm", f"the grant reaches CRM organization {org.id}, not {integration.crm_org_id}")])
    try:
        clients.inventory.get_organization()
    except AuthorizationExpired:
        raise InvalidFieldsError([("inventory", "the inventory system refused this OAuth grant")]) from None
    except NotFound:
        raise InvalidFieldsError(
            [("inventory", f"the grant does not reach inventory organization {integration.inventory_org_id}")]
        ) from None


def _resume_held_runs(deps: Deps, integration_id: str) -> None:
    for preferences in deps.store.list_modules(integration_id):
        if preferences.status not in (ModuleStatus.QUEUED, ModuleStatus.RUNNING):
            continue
        run = runs.current_run(deps.store, preferences)
        if run is not None and run.status not in runs.FINISHED:
            deps.sync_queue.send(runs.message_for(run))


def hold_run(deps: Deps, run: SyncRun) -> None:
    """The run stays at its step, saying it waits for re-authorization; `reauthorize` queues it again."""
    runs.mark_waiting(deps.store, run, WAITING_FOR, None, deps.clock())


def hold_deal_event(deps: Deps, message: DealEventMessage) -> None:
    """The deal event comes back in `HOLD_DELAY_S`, until the integration is re-authorized."""
    deps.automation_queue.send(message, delay_seconds=HOLD_DELAY_S)
    logger.info("deal event held: re-authorization needed", extra={"deal_id": message.deal_id})
