"""Deal-stage automation (A1-A5; the trigger logic lands with issue 6).

A deal event for an integration that no longer exists, or that is stopped, is dropped.
"""

from __future__ import annotations

from crmsync.api.messages import DealEventMessage
from crmsync.runtime.observability import bind, logger
from crmsync.services.sync_steps import STOPPED


def handle_deal_event(container, message: DealEventMessage) -> None:
    bind(integration_id=message.integration_id)
    integration = container.store.get_integration(message.integration_id)
    if integration is None or integration.state in STOPPED:
        logger.info("deal event dropped", extra={"reason": "integration missing or stopped", "deal_id": message.deal_id})
        return
    logger.warning("deal automation not available yet; event acknowledged", extra={"deal_id": message.deal_id})
