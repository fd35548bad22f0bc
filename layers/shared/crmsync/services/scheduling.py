"""The scheduled run (S1): queue one sync message per due integration and module.

Due means: the integration is active (a query on the state index, never a scan),
the module has been configured and synced once, is not paused, and has no run
queued or running already (so a slow run is never piled on).
"""

from __future__ import annotations

from collections.abc import Iterator

from crmsync.api.messages import SyncMessage
from crmsync.domain.models import IntegrationState, ModulePreferences, ModuleStatus
from crmsync.runtime.observability import logger

BUSY = {ModuleStatus.NEVER_SYNCED, ModuleStatus.QUEUED, ModuleStatus.RUNNING}


def active_integration_ids(store) -> Iterator[str]:
    cursor = None
    while True:
        page = store.list_integration_ids(IntegrationState.ACTIVE, limit=100, cursor=cursor)
        yield from page.items
        if not (cursor := page.next_cursor):
            return


def is_due(preferences: ModulePreferences) -> bool:
    return preferences.version > 0 and not preferences.paused and preferences.status not in BUSY


def queue_due_syncs(store, queue) -> int:
    queued = 0
    for integration_id in active_integration_ids(store):
        for preferences in store.list_modules(integration_id):
            if is_due(preferences):
                queue.send(SyncMessage(integration_id=integration_id, module=preferences.module, trigger="schedule"))
                queued += 1
    logger.info("scheduled sync queued", extra={"queued": queued})
    return queued
