"""One bounded sync step per queue message (the sync engine lands with issue 5).

A message for an integration that no longer exists, or that is disabled or being
deleted, is dropped with a log line: retrying it could never succeed.
"""

from __future__ import annotations

from crmsync.api.messages import SyncMessage
from crmsync.domain.models import IntegrationState
from crmsync.runtime.observability import bind, logger

STOPPED = {IntegrationState.DISABLED, IntegrationState.DELETING, IntegrationState.DELETED}


def run_sync_step(container, message: SyncMessage) -> None:
    bind(integration_id=message.integration_id)
    integration = container.store.get_integration(message.integration_id)
    if integration is None or integration.state in STOPPED:
        logger.info("sync message dropped", extra={"reason": "integration missing or stopped", "sync_module": message.module})
        return
    logger.warning("sync engine not available yet; message acknowledged", extra={"sync_module": message.module})
