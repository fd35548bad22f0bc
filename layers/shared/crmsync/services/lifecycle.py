"""L2 disable, L3 enable, L4 delete (request side), S6 pause and resume, T1 enable, T2 grants, A1 preferences.

Every state change is a conditional write: of two concurrent requests one wins and the
other gets 409 naming the state it found. A secondary integration refuses everything that
would write to the CRM or sync transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from crmsync.contracts.queues import DeleteIntegrationMessage
from crmsync.domain.automation import automation_wanted
from crmsync.domain.errors import ConflictError, NotFoundError, PermissionDenied
from crmsync.domain.models import (
    AutomationPreferences,
    CrmGrant,
    CrmPermission,
    Integration,
    IntegrationState,
    Module,
    Role,
)
from crmsync.observability import logger
from crmsync.services.activity import record_activity
from crmsync.services.automation import catch_up
from crmsync.services.deals import remove_deal_links
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration, update_integration

State = IntegrationState
RUNNING = {State.ACTIVE, State.PAUSED, State.REAUTHORIZE}  # what disable stops


class ConfirmationRequired(ConflictError):
    """The action has consequences the caller must accept with `confirm: true`."""


def disable(deps: Deps, tenant_id: str, integration_id: str, *, confirm: bool) -> Integration:
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.transactions_enabled and not confirm:
        raise ConfirmationRequired(
            "Transaction sync is on: disabling removes the CRM-side finance links, comments and "
            'attachments this service keeps for it. Send {"confirm": true} to go ahead.'
        )
    disabled = _transition(deps, integration_id, RUNNING, State.DISABLED)
    removed = remove_finance_data(deps, integration) if integration.transactions_enabled else 0
    _audit(deps, integration_id, "integration_disabled", {"finance_links_removed": removed})
    return disabled


def remove_finance_data(deps: Deps, integration: Integration) -> int:
    """Remove the CRM-side finance data this service keeps (its deal links, W3 and A5). Returns a count."""
    return remove_deal_links(deps, integration)


def enable(deps: Deps, tenant_id: str, integration_id: str, *, replay_disabled_period: bool = False) -> Integration:
    """L3. Deals created or won while the integration was disabled are not replayed into quotes and
    invoices by the catch-up unless `replay_disabled_period` (the check mark moves to now, before
    the integration is active again, so no catch-up reads the disabled period in between)."""
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.state is State.DISABLED and not replay_disabled_period:
        catch_up.skip_to(deps, integration_id, deps.clock())
    _transition(deps, integration_id, {State.DISABLED}, State.ACTIVE)
    enabled = _update(deps, integration_id, lambda i: i.model_copy(update={"fetch_from_crm_first": True}))
    _audit(deps, integration_id, "integration_enabled", {"replay_disabled_period": replay_disabled_period})
    return enabled


def request_delete(
    deps: Deps, tenant_id: str, integration_id: str, keep: Literal["all", "with_transactions"]
) -> Integration:
    integration = get_integration(deps.store, tenant_id, integration_id)
    if integration.state is State.DELETED:
        return integration
    if integration.state is not State.DELETING:
        try:
            integration = deps.store.transition_integration(
                integration_id, allowed_from={State.DISABLED}, to=State.DELETING
            )
        except ConflictError as exc:
            raise ConflictError(
                f"The integration is {exc.current}: disable it before deleting it.", current=exc.current
            ) from None
    deps.sync_queue.send(DeleteIntegrationMessage(integration_id=integration_id, keep=keep))
    _audit(deps, integration_id, "integration_delete_requested", {"keep": keep})
    return integration


def pause(deps: Deps, tenant_id: str, integration_id: str, modules: list[Module] | None, paused: bool):
    integration = get_integration(deps.store, tenant_id, integration_id)
    if modules:
        for module in modules:
            try:
                deps.store.set_module_paused(integration_id, module, paused)
            except NotFoundError:
                raise ConflictError(f"The {module} module is not configured yet.") from None
        _audit(deps, integration_id, "modules_paused" if paused else "modules_resumed",
               {"modules": [str(m) for m in modules]})
        return integration
    source, target = (State.ACTIVE, State.PAUSED) if paused else (State.PAUSED, State.ACTIVE)
    changed = _transition(deps, integration_id, {source}, target)
    _audit(deps, integration_id, "integration_paused" if paused else "integration_resumed", {})
    return changed


def enable_transactions(deps: Deps, tenant_id: str, integration_id: str) -> Integration:
    integration = get_integration(deps.store, tenant_id, integration_id)
    _refuse_secondary(integration, "transaction sync")
    configured = {p.module for p in deps.store.list_modules(integration_id) if p.version > 0}
    missing = [m.value for m in Module if m not in configured]
    if missing:
        raise ConflictError(
            f"Configure customers, vendors and items before transaction sync; missing: {', '.join(missing)}."
        )
    updated = _update(deps, integration_id, lambda i: i.model_copy(update={"transactions_enabled": True}))
    _audit(deps, integration_id, "transactions_enabled", {})
    return updated


def set_automation(deps: Deps, tenant_id: str, integration_id: str, prefs: AutomationPreferences) -> Integration:
    """A1 preferences. Turned back on after being off, automation starts from now: the catch-up
    does not replay the deals changed while it was off."""
    integration = get_integration(deps.store, tenant_id, integration_id)
    _refuse_secondary(integration, "deal-stage automation")
    if automation_wanted(prefs) and not automation_wanted(integration.automation):
        catch_up.skip_to(deps, integration_id, deps.clock())
    updated = _update(deps, integration_id, lambda i: i.model_copy(update={"automation": prefs}))
    _audit(deps, integration_id, "automation_preferences_saved", prefs.model_dump(mode="json"))
    return updated


def set_crm_grants(deps: Deps, tenant_id: str, integration_id: str, grants: list[CrmGrant]) -> Integration:
    integration = get_integration(deps.store, tenant_id, integration_id)
    _refuse_secondary(integration, "CRM-side transactions")
    if not integration.transactions_enabled:
        raise ConflictError("Turn on transaction sync (T1) before granting CRM users transaction permissions.")
    updated = _update(deps, integration_id, lambda i: i.model_copy(update={"crm_grants": tuple(grants)}))
    _audit(deps, integration_id, "crm_permissions_saved", {"grants": len(grants)})
    return updated


def check_crm_permission(
    integration: Integration, permission: CrmPermission, user_id: str, role_id: str | None
) -> None:
    """Raise PermissionDenied unless a grant of the user, or of their role, includes `permission`."""
    for grant in integration.crm_grants:
        if (grant.user_id == user_id or (role_id and grant.role_id == role_id)) and permission in grant.permissions:
            return
    raise PermissionDenied(permission.value, f"CRM user {user_id} is not allowed to {permission.value.replace('_', ' ')}.")


def _refuse_secondary(integration: Integration, what: str) -> None:
    if integration.role is Role.SECONDARY:
        raise ConflictError(f"A secondary integration is fetch-from-CRM only; {what} is not available.")


def _transition(deps: Deps, integration_id: str, allowed_from: set[State], to: State) -> Integration:
    try:
        return deps.store.transition_integration(integration_id, allowed_from=allowed_from, to=to)
    except ConflictError as exc:
        message = (f"The integration is already {to}." if exc.current == to
                   else f"The integration is {exc.current}; it cannot become {to}.")
        raise ConflictError(message, current=exc.current) from None


def _update(deps: Deps, integration_id: str, change: Callable[[Integration], Integration]) -> Integration:
    updated = update_integration(deps.store, integration_id, change)
    if updated is None:
        raise NotFoundError(f"No integration {integration_id}.")
    return updated


def _audit(deps: Deps, integration_id: str, kind: str, details: dict) -> None:
    record_activity(deps.store, deps.clock, integration_id, kind, "done", details=details)
    logger.info(kind, extra=details)
