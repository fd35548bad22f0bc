"""S3 instant sync: start a run of each chosen module now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crmsync.domain.errors import ConflictError
from crmsync.domain.models import IntegrationState, Module, ModulePreferences, RunStatus, Trigger
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration
from crmsync.services.sync import runs

KICK_AFTER = runs.STALL_AFTER / 9  # a running run this quiet gets its next step queued again


@dataclass(frozen=True)
class StartedRun:
    module: Module
    run_id: str
    status: RunStatus


def sync_now(deps: Deps, tenant_id: str, integration_id: str, modules: Sequence[Module] | None) -> list[StartedRun]:
    """Queues a manual run of each module (default: every configured one).

    ConflictError (409) when the integration is not active (paused, disabled, ...) or a module is
    paused or not configured. A module with a run queued or running keeps that run (its id is
    returned), and a quiet one gets its next step queued again.
    """
    store = deps.store
    integration = get_integration(store, tenant_id, integration_id)
    if integration.state is not IntegrationState.ACTIVE:
        raise ConflictError(f"The integration is {integration.state}; it cannot sync now.", current=integration.state)
    configured = {p.module: p for p in store.list_modules(integration_id) if p.version > 0}
    wanted = list(dict.fromkeys(modules)) if modules else sorted(configured, key=list(Module).index)
    if not wanted:
        raise ConflictError("No module is configured yet; save a module's preferences first.")
    chosen = [check_module(configured, module) for module in wanted]
    started = []
    for preferences in chosen:
        run = runs.start_run(deps, integration, preferences, Trigger.MANUAL)
        if run is None:
            run = runs.current_run(store, preferences)
            if run is None:
                raise ConflictError(f"A {preferences.module} sync is being started; try again in a moment.")
            runs.requeue_if_stalled(store, deps.sync_queue, run, deps.clock(), stall_after=KICK_AFTER)
        started.append(StartedRun(preferences.module, run.run_id, run.status))
    return started


def check_module(configured: dict[Module, ModulePreferences], module: Module) -> ModulePreferences:
    """The module's preferences; ConflictError (409) unless it is configured and not paused."""
    preferences = configured.get(module)
    if preferences is None:
        raise ConflictError(f"The {module} module is not configured yet.", current="never_saved")
    if preferences.paused:
        raise ConflictError(f"The {module} module is paused; resume it first.", current="paused")
    return preferences
