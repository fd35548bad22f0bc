"""The scheduled run (S1): start a run of every due integration and module, and sweep stalled runs.

Due means: the integration is active (a query on the state index, never a scan), the module has
been configured and synced once, is not paused, and has no run queued or running already (so a
slow run is never piled on). Modules that are queued or running are checked instead: a run that
made no progress for long is queued again (see `crmsync.services.sync.runs`), and a module left
"queued" by a "sync now" whose message never started a run gets a new message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from crmsync.contracts.queues import SyncMessage
from crmsync.domain.models import IntegrationState, ModulePreferences, ModuleStatus, Trigger
from crmsync.observability import logger
from crmsync.ports.queue import MessageQueue
from crmsync.ports.store import Store
from crmsync.services.deps import Deps
from crmsync.services.sync import runs

BUSY = {ModuleStatus.NEVER_SYNCED, ModuleStatus.QUEUED, ModuleStatus.RUNNING}
IN_FLIGHT = {ModuleStatus.QUEUED, ModuleStatus.RUNNING}


def active_integration_ids(store: Store) -> Iterator[str]:
    cursor = None
    while True:
        page = store.list_integration_ids(IntegrationState.ACTIVE, limit=100, cursor=cursor)
        yield from page.items
        if not (cursor := page.next_cursor):
            return


def is_due(preferences: ModulePreferences) -> bool:
    return preferences.version > 0 and not preferences.paused and preferences.status not in BUSY


def queue_due_syncs(deps: Deps, at: datetime | None = None) -> int:
    """Queues one run per due integration and module; returns how many runs were queued."""
    store, queue = deps.store, deps.sync_queue
    at = at or deps.clock()
    queued = swept = 0
    for integration_id in active_integration_ids(store):
        integration = None
        for preferences in store.list_modules(integration_id):
            if is_due(preferences):
                integration = integration or store.get_integration(integration_id)
                if integration and runs.start_run(deps, integration, preferences, Trigger.SCHEDULE):
                    queued += 1
            elif preferences.status in IN_FLIGHT and not preferences.paused:
                swept += _sweep(store, queue, preferences, at)
    logger.info("scheduled sync queued", extra={"queued": queued, "swept": swept})
    return queued


def _sweep(store: Store, queue: MessageQueue, preferences: ModulePreferences, at: datetime) -> int:
    run = runs.current_run(store, preferences)
    if run is not None and run.status not in runs.FINISHED:
        return int(runs.requeue_if_stalled(store, queue, run, at))
    finished_at = run.ended_at if run is not None else None
    if finished_at is None or at - finished_at >= runs.STALL_AFTER:
        queue.send(
            SyncMessage(integration_id=preferences.integration_id, module=preferences.module, trigger="manual")
        )
        return 1
    return 0
