"""Starting, stepping and ending runs (S1, S3, S5, M8).

A run is one module of one integration, a chain of bounded steps: each queue message names the
run and the step it is for; the worker does that step, then saves the run's next step, phase,
position and counts with a conditional write on the step number, then queues the next step. A
redelivered or stale message (its step is not the run's next) is dropped; the loser of two workers
racing on one step comes back, delayed, when the winner's lease ends (`claim_step`). A run that makes no progress for `STALL_AFTER` (the worker died
between saving and queueing, or its message went to the dead-letter queue) is queued again by the
scheduled sweep, and given up as failed after `GIVE_UP_AFTER`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from crmsync.contracts.queues import SyncMessage
from crmsync.domain.errors import ConflictError
from crmsync.domain.models import (
    Integration,
    Module,
    ModulePreferences,
    ModuleStatus,
    RunCounts,
    RunStatus,
    Trigger,
    time_sortable_id,
)
from crmsync.domain.sync_state import RunProgress, SyncRun
from crmsync.observability import logger, metrics
from crmsync.ports.queue import MessageQueue
from crmsync.ports.store import Store
from crmsync.ports.sync_state_store import StepClaim
from crmsync.services.deps import Deps
from crmsync.services.integrations import update_integration
from crmsync.services.sync import progress, reapply
from crmsync.services.sync.context import writes_crm
from crmsync.services.sync.phases import plan_phases
from crmsync.services.sync.state import RunState, read_state, with_state

STALL_AFTER = timedelta(minutes=45)
STEP_LEASE = timedelta(seconds=300)  # the sync worker's Timeout: the lease when no deadline is known
GIVE_UP_AFTER = timedelta(hours=24)
MAX_DELAY_S = 900  # SQS's longest message delay
FINISHED = {RunStatus.DONE, RunStatus.FAILED}


def new_run(
    integration: Integration,
    preferences: ModulePreferences,
    trigger: Trigger,
    previous: SyncRun | None,
    at: datetime,
    plan: tuple[str, ...] | None = None,
) -> SyncRun:
    """A queued run with the preferences as they are now (S7) and its phases fixed (`plan`: other
    phases than the module's sync, e.g. a retry run's)."""
    settings = preferences.settings
    crm_first = integration.fetch_from_crm_first
    reapplies = reapply.asked(preferences, plan)  # S7; a given plan (a retry run's) never re-applies
    plan = plan or plan_phases(
        preferences.module, settings, two_way=writes_crm(integration, preferences), crm_first=crm_first
    )
    unfinished = previous is not None and previous.status is RunStatus.FAILED
    back_to = (previous.started_at or previous.queued_at) if unfinished else None
    state = RunState(settings=settings, plan=plan, progress_at=at, back_to=back_to, reapply=reapplies)
    return SyncRun(
        integration_id=integration.integration_id,
        run_id=time_sortable_id(at),
        module=preferences.module,
        trigger=trigger,
        preferences_version=preferences.version,
        queued_at=at,
        phase=plan[0],
        page_cursor=state.model_dump_json(),
        failure_count=0,
        progress=progress.start(plan[0], at),
    )


def current_run(store: Store, preferences: ModulePreferences) -> SyncRun | None:
    if preferences.last_run_id is None:
        return None
    return store.get_run(preferences.integration_id, preferences.last_run_id)


def claim_new_run(
    store: Store,
    integration: Integration,
    preferences: ModulePreferences,
    trigger: Trigger,
    status: ModuleStatus,
    at: datetime,
    plan: tuple[str, ...] | None = None,
) -> SyncRun | None:
    """Creates a run unless the module has one queued or running (None then)."""
    previous = current_run(store, preferences)
    if previous is not None and previous.status not in FINISHED:
        return None
    run = new_run(integration, preferences, trigger, previous, at, plan)
    if not store.claim_module_run(
        integration.integration_id,
        preferences.module,
        run.run_id,
        previous_run_id=preferences.last_run_id,
        status=status,
    ):
        return None
    store.create_run(run)
    _clear_crm_first(store, integration, preferences.module)
    logger.info("sync run created", extra={"run_id": run.run_id, "sync_module": run.module.value})
    return run


def start_run(
    deps: Deps,
    integration: Integration,
    preferences: ModulePreferences,
    trigger: Trigger,
    plan: tuple[str, ...] | None = None,
) -> SyncRun | None:
    """Queues a new run of the module (S3, S1, a retry); None when one is queued or running already."""
    run = claim_new_run(
        deps.store, integration, preferences, trigger, ModuleStatus.QUEUED, deps.clock(), plan
    )
    if run is not None:
        deps.sync_queue.send(message_for(run))
    return run


def claim_step(store: Store, run: SyncRun, at: datetime, deadline: datetime | None = None) -> StepClaim:
    """Whether this worker may do the run's current step: one worker per step at a time, however
    often its message is delivered.

    The lease lasts until `deadline`, when the invocation doing the step ends (Lambda's
    `get_remaining_time_in_millis`): no worker can hold a step past it, so a worker that was killed
    frees its step then, not a fixed time later (`STEP_LEASE`, the worker's Timeout, without one).
    """
    until = deadline if deadline is not None and deadline > at else at + STEP_LEASE
    return store.claim_run_step(run, at=at, until=until)


def queue_when_free(queue: MessageQueue, run: SyncRun, held_until: datetime, at: datetime) -> None:
    """Another attempt holds the step: its message comes back once that lease ends. If the holder
    saves the step first, the message is stale then and dropped; if the holder died, it takes over."""
    delay = math.ceil((held_until - at).total_seconds()) + 1
    queue.send(message_for(run), delay_seconds=min(MAX_DELAY_S, max(1, delay)))


def mark_waiting(
    store: Store, run: SyncRun, waiting_for: str, until: datetime | None, at: datetime
) -> SyncRun | None:
    """Stores the run at its step, its progress saying what it waits for (and until when, if known);
    None when another delivery of the step moved the run on meanwhile."""
    shown = run.progress or RunProgress(phase=str(run.phase or ""), updated_at=at)
    update = {"waiting_until": until, "waiting_for": waiting_for, "eta_seconds": None}
    waiting = run.model_copy(update={"progress": shown.model_copy(update=update)})
    try:
        store.save_run_step(waiting, expected_step=run.step)
    except ConflictError:
        return None
    return waiting


def message_for(run: SyncRun) -> SyncMessage:
    return SyncMessage(
        integration_id=run.integration_id,
        module=run.module.value,
        trigger=run.trigger.value,
        run_id=run.run_id,
        step=run.step,
    )


def requeue_if_stalled(
    store: Store, queue: MessageQueue, run: SyncRun, at: datetime, stall_after: timedelta = STALL_AFTER
) -> bool:
    """Queues the run's next step again when it made no progress for `stall_after`; fails it past
    `GIVE_UP_AFTER`. True when something was done."""
    if run.status in FINISHED:
        return False
    last = read_state(run).progress_at or run.started_at or run.queued_at
    waiting_until = run.progress.waiting_until if run.progress else None
    if waiting_until is not None:  # a run waiting for a vendor's budget has its own delayed message
        if waiting_until > at:
            return False
        last = max(last, waiting_until)
    if at - last >= GIVE_UP_AFTER:
        fail_run(
            store,
            run,
            "The run stopped making progress and was given up; the next run reads its changes again.",
            at,
        )
        return True
    if at - last >= stall_after:
        logger.warning("stalled run queued again", extra={"run_id": run.run_id, "step": run.step})
        queue.send(message_for(run))
        return True
    return False


def finish_run(store: Store, run: SyncRun, counts: RunCounts, at: datetime) -> None:
    """Marks the run done (failures of single records do not fail it) and the module done (M8)."""
    ended = run.model_copy(update={"status": RunStatus.DONE, "ended_at": at, "counts": counts})
    store.save_run_step(ended, expected_step=run.step)
    if run.trigger is Trigger.PREVIEW:  # B2: a preview is not the module's run
        logger.info("preview done", extra={"run_id": run.run_id, "counts": counts.model_dump()})
        return
    store.set_module_status(
        run.integration_id, run.module, ModuleStatus.DONE, run_id=run.run_id, counts=counts
    )
    reapply.settle(store, run, read_state(run).reapply)
    metrics.add_metric(name="SyncRunsDone", unit="Count", value=1)
    logger.info("sync run done", extra={"run_id": run.run_id, "counts": counts.model_dump()})


def fail_run(store: Store, run: SyncRun, reason: str, at: datetime) -> None:
    """Marks the run and the module failed with a reason a person can act on."""
    stopped = progress.stopped(run.progress, at)
    failed = run.model_copy(
        update={"status": RunStatus.FAILED, "ended_at": at, "error": reason, "progress": stopped}
    )
    try:
        store.save_run_step(failed, expected_step=run.step)
    except ConflictError:
        return
    if run.trigger is Trigger.PREVIEW:  # B2: a preview is not the module's run
        logger.info("preview failed", extra={"run_id": run.run_id, "reason": reason})
        return
    store.set_module_status(
        run.integration_id, run.module, ModuleStatus.FAILED, run_id=run.run_id, counts=run.counts
    )
    metrics.add_metric(name="SyncRunsFailed", unit="Count", value=1)
    logger.warning("sync run failed", extra={"run_id": run.run_id, "reason": reason})


def progressed(run: SyncRun, state: RunState, at: datetime, **changes) -> SyncRun:
    return with_state(run, state.model_copy(update={"progress_at": at}), **changes)


def _clear_crm_first(store: Store, integration: Integration, module: Module) -> None:
    """L3: the flag set by enable changes the order of items only; it is spent by the first run that
    honours it (an items run, or any run while items are not configured)."""
    if not integration.fetch_from_crm_first:
        return
    items = store.get_module(integration.integration_id, Module.ITEMS)
    if module is not Module.ITEMS and items is not None and items.version > 0:
        return
    try:
        update_integration(
            store,
            integration.integration_id,
            lambda i: (
                i.model_copy(update={"fetch_from_crm_first": False}) if i.fetch_from_crm_first else None
            ),
        )
    except ConflictError:
        logger.info("fetch-from-CRM-first flag left for the next run: the integration kept changing")
