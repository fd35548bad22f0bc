"""One bounded step of a run per queue message (the sync worker's use case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crmsync.contracts.queues import SyncMessage
from crmsync.domain.errors import ConflictError
from crmsync.domain.models import (
    STOPPED_STATES,
    Integration,
    IntegrationState,
    Module,
    ModulePreferences,
    ModuleStatus,
    RunCounts,
    RunStatus,
    Side,
    Trigger,
)
from crmsync.domain.preview import PreviewTally
from crmsync.domain.sync.model import PlanContext
from crmsync.domain.sync_state import SyncRun
from crmsync.observability import bind, logger
from crmsync.ports.errors import AuthorizationExpired, DailyLimitReached, VendorError
from crmsync.ports.store import Store
from crmsync.ports.vendors import VendorClients
from crmsync.services import reauthorization
from crmsync.services.deps import Deps
from crmsync.services.sync import (
    budget_wait,
    claims,
    failed_records,
    match_phases,
    notes,
    passes,
    phases,
    progress,
    runs,
    streams,
)
from crmsync.services.sync.apply import Applier
from crmsync.services.sync.context import plan_context
from crmsync.services.sync.preview_apply import DryApplier
from crmsync.services.sync.preview_store import PreviewOverlay, read_only
from crmsync.services.sync.state import Position, RunState, read_state
from crmsync.services.sync.write_results import fails_the_step


def run_sync_step(deps: Deps, message: SyncMessage, deadline: datetime | None = None) -> None:
    """Does the step the message names and queues the next; drops messages that are stale or moot.

    Raises on a vendor outage (after the clients' own retries), so the queue delivers the message
    again and the run stays running; a spent call budget makes the run wait (`budget_wait`), and so
    does a refused refresh token, until the integration is re-authorized (`reauthorization`).
    `deadline`: when the invocation doing the step ends (the step's lease lasts until then; see
    `runs.claim_step`). What happened on the way goes to the run's notes (`notes`).
    """
    bind(integration_id=message.integration_id)
    store = deps.store
    integration = store.get_integration(message.integration_id)
    if integration is None or integration.state in STOPPED_STATES:
        logger.info("sync message dropped", extra={"reason": "integration missing or stopped"})
        return
    bind(tenant_id=integration.tenant_id)
    module = Module(message.module)
    preferences = store.get_module(integration.integration_id, module)
    preview = message.trigger == Trigger.PREVIEW  # B2: its run holds the settings, saved or proposed
    if not preview and (preferences is None or preferences.version == 0):
        logger.info(
            "sync message dropped", extra={"reason": "module not configured", "sync_module": module.value}
        )
        return
    if integration.state is IntegrationState.REAUTHORIZE:
        logger.info("sync step held: re-authorization needed", extra={"run_id": message.run_id})
        return  # the run stays where it is; re-authorizing queues its step again
    if integration.state is IntegrationState.PAUSED or (preferences is not None and preferences.paused):
        logger.info("sync step held: paused", extra={"sync_module": module.value, "run_id": message.run_id})
        return  # the run stays where it is; after resume the sweep or a manual sync continues it
    run = _run_of(store, integration, preferences, message, deps.clock())
    if run is None or budget_wait.still_waiting(deps, run):
        return
    bind(run_id=run.run_id)
    at = deps.clock()
    claim = runs.claim_step(store, run, at, deadline)
    if not claim.taken:
        if claim.held_until is not None:  # in case its worker dies: come back when the lease ends
            runs.queue_when_free(deps.sync_queue, run, claim.held_until, at)
        logger.info(
            "sync message set aside", extra={"reason": "another worker is on this step", "step": run.step}
        )
        return
    if claim.interrupted:
        logger.warning("sync step taken over after an interrupted attempt", extra={"step": run.step})
        run = notes.resumed(run, at)
    try:
        _step_or_settle(deps, integration, run)
    except Exception:
        store.release_run_step(run)  # the delivery that comes back may take the step at once
        raise


def _step_or_settle(deps: Deps, integration: Integration, run: SyncRun) -> None:
    """The step; a spent budget or a refused refresh token makes the run wait, a refused listing fails it."""
    store = deps.store
    try:
        _step(deps, integration, run)
    except AuthorizationExpired as refused:  # the integration waits for a new grant; the run with it
        reauthorization.needed(deps, run.integration_id, refused)
        reauthorization.hold_run(deps, run)
    except DailyLimitReached as spent:
        budget_wait.wait_for_budget(deps, run, spent)  # the run waits; nothing fails
    except VendorError as exc:
        if fails_the_step(exc):
            raise  # the queue delivers the step again; the run stays running
        name = "The CRM" if exc.system == "crm" else "The inventory system"
        runs.fail_run(store, run, f"{name} refused to list the records: {exc.message}", deps.clock())


def _run_of(
    store: Store,
    integration: Integration,
    preferences: ModulePreferences | None,
    message: SyncMessage,
    at: datetime,
) -> SyncRun | None:
    if message.run_id is None:  # "sync now" from the preferences, or a CRM notification
        assert preferences is not None  # only a preview may have none, and it names its run
        if message.trigger == Trigger.WEBHOOK and preferences.status is ModuleStatus.NEVER_SYNCED:
            logger.info("sync message dropped", extra={"reason": "the first sync has not run yet"})
            return None
        run = runs.claim_new_run(
            store, integration, preferences, Trigger(message.trigger), ModuleStatus.RUNNING, at
        )
        if run is None:
            logger.info("sync message dropped", extra={"reason": "a run of the module is going"})
        return run
    run = store.get_run(integration.integration_id, message.run_id)
    if run is None or run.status in runs.FINISHED or run.step != message.step:
        logger.info("sync message dropped", extra={"reason": "stale step", "step": message.step})
        return None
    return run


def _step(deps: Deps, integration: Integration, run: SyncRun) -> None:
    store = deps.store
    at = deps.clock()
    if run.status is RunStatus.QUEUED:
        run = run.model_copy(update={"status": RunStatus.RUNNING, "started_at": at})
        if run.trigger is not Trigger.PREVIEW:
            store.set_module_status(run.integration_id, run.module, ModuleStatus.RUNNING, run_id=run.run_id)
    state = read_state(run)
    clients = deps.vendors.for_integration(integration)
    if run.trigger is Trigger.PREVIEW:
        clients = read_only(clients)  # B2: a preview reads the vendors and never writes to them
    snapshot = ModulePreferences(
        integration_id=run.integration_id,
        module=run.module,
        version=run.preferences_version,
        settings=state.settings,
    )
    ctx = plan_context(clients.inventory, integration, snapshot, at)
    step_store, applier = _store_and_applier(deps, clients, ctx, run)
    step = passes.Step(step_store, clients, ctx, state.settings, run, applier, at, reapply=state.reapply)
    phase = str(run.phase)
    retried = notes.retried_calls(clients)
    try:
        position = state.position if state.position.started else _begin(step, phase, state)
        following = _do(step, phase, position)
    except DailyLimitReached as spent:  # the run waits at this step, keeping what the step did so far
        _abandon_claims(deps, run, applier)
        run, counts = _flushed(notes.vendor_retries(run, retried, clients, deps.clock()), applier)
        budget_wait.wait_for_budget(deps, run.model_copy(update={"counts": counts}), spent)
        return
    except Exception as error:
        _abandon_claims(deps, run, applier)
        _note_failed_attempt(deps, notes.vendor_retries(run, retried, clients, deps.clock()), error)
        raise
    run, counts = _flushed(notes.vendor_retries(run, retried, clients, deps.clock()), applier)
    _save_and_continue(deps, run, state, phase, following, counts, at, step)


def _abandon_claims(deps: Deps, run: SyncRun, applier: Applier) -> None:
    """This attempt is over: the claims it left pending are taken as abandoned by the next one."""
    if run.trigger is not Trigger.PREVIEW:  # a preview's claims live in its overlay and create nothing
        claims.abandon(deps.store, list(applier.open_claims.values()))


def _note_failed_attempt(deps: Deps, run: SyncRun, error: Exception) -> None:
    """A step that goes back to the queue says why in the run's notes (saving it also ends the
    lease, so the retry may take the step at once). A refused refresh token or listing is settled
    by `_step_or_settle` instead."""
    retried = isinstance(error, ConflictError) or (
        isinstance(error, VendorError)
        and fails_the_step(error)
        and not isinstance(error, AuthorizationExpired)
    )
    if not retried:
        return
    try:
        deps.store.save_run_step(notes.step_retried(run, error, deps.clock()), expected_step=run.step)
    except ConflictError:
        pass  # another delivery moved the run on meanwhile


def _flushed(run: SyncRun, applier: Applier) -> tuple[SyncRun, RunCounts]:
    """The step's failures stored; the run with its failure count (and preview tally), and its counts."""
    counts = _add(run.counts, applier.flush())
    run = run.model_copy(update={"failure_count": (run.failure_count or 0) + applier.new_failures})
    if isinstance(applier, DryApplier):
        run = run.model_copy(update={"preview": applier.tally})
    return run, counts


def _store_and_applier(
    deps: Deps, clients: VendorClients, ctx: PlanContext, run: SyncRun
) -> tuple[Any, Applier]:
    """A preview (B2) does the same step against its overlay of the store, with no vendor write."""
    if run.trigger is Trigger.PREVIEW:
        overlay = PreviewOverlay(deps.store, run.run_id, deps.clock)
        tally = run.preview or PreviewTally()
        return overlay, DryApplier(overlay, clients, ctx, run.run_id, deps.clock, run.step, tally=tally)
    return deps.store, Applier(deps.store, clients, ctx, run.run_id, deps.clock, run.step)


def _begin(step: passes.Step, phase: str, state: RunState) -> Position:
    """The first position of a phase: where its stream's watermark says (see `streams`), or the
    start of the stream in a run that re-applies edited preferences (S7, see `reapply`)."""
    store, iid, module, now = step.store, step.integration_id, step.module, step.now
    full = state.reapply is not None
    if phase.startswith("crm:"):
        stream = streams.crm_stream(state.settings, phases.crm_module_of(phase))
        return streams.start(store.get_watermark(iid, module, stream), now, full=full, back_to=state.back_to)
    if phase.startswith("deleted:"):
        stream = streams.deleted_stream(phases.crm_module_of(phase))
        return streams.start(store.get_watermark(iid, module, stream), now, back_to=state.back_to)
    if phase in (phases.INVENTORY, phases.INVENTORY_INDEX):
        full = full or streams.reads_everything_today(
            module, store.get_watermark(iid, module, streams.INVENTORY_FULL), now
        )
        watermark = store.get_watermark(iid, module, streams.INVENTORY_STREAM)
        return streams.start(watermark, now, full=full, back_to=state.back_to)
    return Position(started=now)


def _do(step: passes.Step, phase: str, at: Position) -> Position | None:
    if phase.startswith("crm:"):
        return passes.crm_pass(step, phases.crm_module_of(phase), at)
    if phase.startswith("deleted:"):
        return passes.deleted_pass(step, phases.crm_module_of(phase), at)
    if phase == phases.INVENTORY:
        return passes.inventory_pass(step, at)
    if phase == phases.INVENTORY_INDEX:
        return passes.inventory_index(step, at)
    if phase == phases.MATCH_CRM:
        return match_phases.match_phase(step, Side.CRM, at)
    if phase == phases.MATCH_INVENTORY:
        return match_phases.match_phase(step, Side.INVENTORY, at)
    if phase.startswith(phases.RETRY):
        return failed_records.retry_phase(step, phases.side_of(phase), at)
    raise ValueError(f"unknown phase {phase!r}")


def _save_and_continue(
    deps: Deps,
    run: SyncRun,
    state: RunState,
    phase: str,
    following: Position | None,
    counts: RunCounts,
    at: datetime,
    work: passes.Step,
) -> None:
    store = deps.store
    next_phase = phase if following is not None else state.next_phase(phase)
    unmatched = max(0, state.unmatched + work.staged - work.matched)
    measured = progress.after_step(
        run.progress,
        next_phase or progress.DONE,
        read=work.read,
        counts=counts,
        unmatched=unmatched,
        clients=work.clients,
        at=deps.clock(),
    )
    if next_phase is None:
        try:
            runs.finish_run(store, run.model_copy(update={"progress": measured}), counts, deps.clock())
        except ConflictError:
            logger.info("another worker finished this step first")
        return
    position = following if following is not None else Position()
    saved = runs.progressed(
        run,
        state.model_copy(update={"position": position, "unmatched": unmatched}),
        at,
        step=run.step + 1,
        phase=next_phase,
        counts=counts,
        progress=measured,
    )
    try:
        store.save_run_step(saved, expected_step=run.step)
    except ConflictError:
        logger.info("another worker did this step first; its result stands", extra={"step": run.step})
        return
    deps.sync_queue.send(runs.message_for(saved))


def _add(before: RunCounts, step: RunCounts) -> RunCounts:
    return RunCounts(**{name: getattr(before, name) + getattr(step, name) for name in RunCounts.model_fields})
