"""Retry open failures: one record, or every open failure of a module or of all modules, read again
from its side and synced with the module's current preferences (`failed_records`).

One record, and up to `INLINE_LIMIT` (25) open failures in all, are retried inside the request:
per module, the phases of a retry run done at once, recorded in the run history as a finished run
of trigger "retry". More are queued: a retry run per module with open failures, on the sync queue
like any run (its steps, checkpoints and sweep are the run machinery's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import Integration, IntegrationState, Module, ModulePreferences, Side, Trigger
from crmsync.domain.sync_state import Failure
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration
from crmsync.services.sync import failed_records, passes, phases, runs
from crmsync.services.sync.apply import Applier
from crmsync.services.sync.context import plan_context, writes_crm
from crmsync.services.sync.inline_runs import finish, inline_run
from crmsync.services.sync.manual import StartedRun, check_module

INLINE_LIMIT = failed_records.RETRY_PAGE  # 25: what one step of a retry run does


@dataclass(frozen=True)
class Retried:
    """The outcome of an inline retry: the failures still open afterwards, with their new reasons."""

    retried: int
    still_failing: list[Failure]

    @property
    def synced(self) -> int:
        return self.retried - len(self.still_failing)


def retry_failures(
    deps: Deps,
    tenant_id: str,
    integration_id: str,
    *,
    module: Module | None = None,
    record_id: str | None = None,
    side: Side | None = None,
) -> Retried | list[StartedRun]:
    """Retries now (`Retried`) or queues retry runs (the started runs); `record_id` needs `module`.

    NotFoundError when the record has no open failure; ConflictError (409) when the integration is
    not active, a module concerned is paused or not configured, or a module to queue has a run going.
    """
    store = deps.store
    integration = get_integration(store, tenant_id, integration_id)
    if integration.state is not IntegrationState.ACTIVE:
        raise ConflictError(f"The integration is {integration.state}; it cannot sync now.", current=integration.state)
    configured = {p.module: p for p in store.list_modules(integration_id) if p.version > 0}
    sides = (side,) if side else tuple(Side)
    if module is not None:
        check_module(configured, module)
    if record_id is not None:
        if module is None:
            raise ValueError("a record is retried within its module")
        found = [f for s in sides for f in store.get_open_failures(integration_id, module, s, [record_id]).values()]
        if not found:
            raise NotFoundError(f"Record {record_id} has no open failure in {module}.")
        return _retry_now(deps, integration, {module: found}, configured, sides)
    open_failures: dict[Module, list[Failure]] = {}
    for m in [module] if module else list(Module):
        if found := store.list_open_failures(integration_id, module=m, side=side, limit=INLINE_LIMIT + 1).items:
            check_module(configured, m)
            open_failures[m] = found
    if sum(len(found) for found in open_failures.values()) <= INLINE_LIMIT:
        return _retry_now(deps, integration, open_failures, configured, sides)
    return _queue(deps, integration, [configured[m] for m in open_failures], sides)


def _retry_now(
    deps: Deps,
    integration: Integration,
    failures: dict[Module, list[Failure]],
    configured: dict[Module, ModulePreferences],
    sides: tuple[Side, ...],
) -> Retried:
    still: list[Failure] = []
    for module, found in failures.items():
        still += _retry_module(deps, integration, configured[module], found, sides)
    return Retried(retried=sum(len(found) for found in failures.values()), still_failing=still)


def _retry_module(
    deps: Deps,
    integration: Integration,
    preferences: ModulePreferences,
    failures: Sequence[Failure],
    sides: tuple[Side, ...],
) -> list[Failure]:
    """Retries the module's failures at once; returns those still open, in the order given."""
    store, at = deps.store, deps.clock()
    clients = deps.vendors.for_integration(integration)
    ctx = plan_context(clients.inventory, integration, preferences, at)
    run = inline_run(preferences, Trigger.RETRY, at)
    applier = Applier(store, clients, ctx, run.run_id, deps.clock)
    step = passes.Step(store, clients, ctx, preferences.settings, run, applier, at)
    failed_records.retry_now(step, _plan(integration, preferences, sides), failures)
    finish(deps, run, applier, clients, read=len(failures))
    still_open = {
        (side, record_id): failure
        for side in sides
        for record_id, failure in store.get_open_failures(
            integration.integration_id, preferences.module, side, [f.record_id for f in failures if f.side is side]
        ).items()
    }
    return [still_open[key] for f in failures if (key := (f.side, f.record_id)) in still_open]


def _queue(
    deps: Deps, integration: Integration, chosen: list[ModulePreferences], sides: tuple[Side, ...]
) -> list[StartedRun]:
    for preferences in chosen:
        going = runs.current_run(deps.store, preferences)
        if going is not None and going.status not in runs.FINISHED:
            raise ConflictError(
                f"A {preferences.module} run is {going.status}; retry its failures when it has ended.",
                current=going.run_id,
            )
    started = []
    for preferences in chosen:
        plan = _plan(integration, preferences, sides)
        run = runs.start_run(deps, integration, preferences, Trigger.RETRY, plan=plan)
        if run is None:
            raise ConflictError(f"A {preferences.module} run was started meanwhile; retry when it has ended.")
        started.append(StartedRun(preferences.module, run.run_id, run.status))
    return started


def _plan(integration: Integration, preferences: ModulePreferences, sides: tuple[Side, ...]) -> tuple[str, ...]:
    return phases.retry_phases(
        preferences.module,
        preferences.settings,
        sides,
        two_way=writes_crm(integration, preferences),
        crm_first=integration.fetch_from_crm_first,
    )
