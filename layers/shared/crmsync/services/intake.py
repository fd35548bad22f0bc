"""CRM notification intake (S2, A1): authenticate, de-duplicate, queue; never call a vendor here.

- Authenticated by the integration's channel id and token: the token is compared by
  hash in constant time. An unknown integration or a bad token is refused and nothing is queued.
- A disabled integration's notification is accepted (so the CRM keeps the channel) but
  dropped, with an activity entry saying so.
- The same delivery (channel, ids, operation, server time) is queued once.
- Deals go to the automation queue, one message per deal; quotes, sales orders and purchase
  orders created in the CRM go there too, one message per record (T1: created in inventory at
  once); the synced modules go to the sync queue as a webhook-triggered run of the module.
"""

from __future__ import annotations

import hashlib
import hmac

from crmsync.contracts.notifications import CrmNotification, NotificationAccepted
from crmsync.contracts.queues import CrmTransactionEventMessage, DealEventMessage, SyncMessage
from crmsync.domain.crm_modules import sync_module_of
from crmsync.domain.errors import BadChannelToken
from crmsync.domain.models import (
    STOPPED_STATES,
    WebhookDelivery,
)
from crmsync.observability import bind, logger, metrics
from crmsync.services.activity import record_activity
from crmsync.services.deps import Deps

TRANSACTION_MODULES = {"Quotes", "Sales_Orders", "Purchase_Orders"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_notification(deps: Deps, integration_id: str, note: CrmNotification) -> NotificationAccepted:
    store = deps.store
    integration = store.get_integration(integration_id)
    channel = integration.channel if integration else None
    if (
        channel is None
        or note.channel_id not in channel.channel_ids
        or not hmac.compare_digest(token_hash(note.token or ""), channel.token_hash)
    ):
        metrics.add_metric(name="WebhooksRejected", unit="Count", value=1)
        raise BadChannelToken("The notification's channel or token is not valid for this integration.")
    bind(tenant_id=integration.tenant_id, integration_id=integration_id)
    if integration.state in STOPPED_STATES:
        record_activity(
            store,
            deps.clock,
            integration_id,
            "webhook",
            "dropped",
            reason=f"integration is {integration.state}",
            details={"module": note.module, "operation": note.operation, "ids": note.ids[:20]},
        )
        return NotificationAccepted(status="ignored")
    delivery = WebhookDelivery(
        channel_id=note.channel_id, ids=tuple(note.ids), operation=note.operation, server_time=note.server_time
    )
    if not store.record_delivery(delivery):
        return NotificationAccepted(status="duplicate")
    queued = _queue(deps, integration_id, note)
    logger.info("notification queued", extra={"crm_module": note.module, "operation": note.operation, "queued": queued})
    return NotificationAccepted(status="queued", queued=queued)


def _queue(deps: Deps, integration_id: str, note: CrmNotification) -> int:
    if note.module == "Deals":
        for deal_id in note.ids:
            deps.automation_queue.send(
                DealEventMessage(
                    integration_id=integration_id, deal_id=deal_id, operation=note.operation, server_time=note.server_time
                )
            )
        return len(note.ids)
    if note.module in TRANSACTION_MODULES:
        if note.operation != "insert":
            return 0
        for record_id in note.ids:
            deps.automation_queue.send(
                CrmTransactionEventMessage(
                    integration_id=integration_id, crm_module=note.module, record_id=record_id,
                    server_time=note.server_time,
                )
            )
        return len(note.ids)
    module = sync_module_of(note.module)
    if module is None:
        logger.info("notification for a module this service does not sync", extra={"crm_module": note.module})
        return 0
    deps.sync_queue.send(SyncMessage(integration_id=integration_id, module=module, trigger="webhook"))
    return 1
