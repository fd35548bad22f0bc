"""CRM notification intake (S2, A1): authenticate, de-duplicate, queue; never call a vendor here.

- Authenticated by the integration's channel id and token: the token is compared by
  hash in constant time. An unknown integration or a bad token is refused and nothing is queued.
- A disabled integration's notification is accepted (so the CRM keeps the channel) but
  dropped, with an activity entry saying so.
- The same delivery (channel, ids, operation, server time) is queued once. Its messages go out a
  hundred at a time; a record of the delivery says how many are queued, so a retry of a notification
  cut off half way (the function timed out, or the time budget ran out: 503 with Retry-After)
  queues only the rest. A delivery that another request is still queueing answers 503 too.
  A kill between a send and its record can queue up to a hundred messages twice; their consumers
  are idempotent (trigger claims, run claims). 1,000 deal ids take ten rounds of a parallel send
  and a record, well inside the function's 10 s.
- Deals go to the automation queue, one message per deal; quotes, sales orders and purchase
  orders created in the CRM go there too, one message per record (T1: created in inventory at
  once); the synced modules go to the sync queue as a webhook-triggered run of the module.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from itertools import batched

from pydantic import BaseModel

from crmsync.contracts.notifications import CrmNotification, NotificationAccepted
from crmsync.contracts.queues import CrmTransactionEventMessage, DealEventMessage, SyncMessage
from crmsync.domain.crm_modules import sync_module_of
from crmsync.domain.errors import BadChannelToken, UnavailableError
from crmsync.domain.journal import WebhookDelivery
from crmsync.domain.models import STOPPED_STATES
from crmsync.observability import bind, logger, metrics
from crmsync.ports.queue import MessageQueue
from crmsync.services.activity import record_activity
from crmsync.services.deps import Deps

TRANSACTION_MODULES = {"Quotes", "Sales_Orders", "Purchase_Orders"}
DELIVERY_LEASE = timedelta(seconds=30)  # longer than the webhook function's 10 s timeout
RETRY_AFTER = 5
MESSAGES_PER_RECORD = 100  # sent at once (ten SQS batches in parallel), then the progress is recorded


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_notification(
    deps: Deps, integration_id: str, note: CrmNotification, deadline: datetime | None = None
) -> NotificationAccepted:
    """Queue the notification's work; `deadline` is when the request must answer (its time budget)."""
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
    progress = store.begin_delivery(delivery, DELIVERY_LEASE)
    if progress is None:
        raise UnavailableError(
            "This notification is being queued by an earlier delivery; retry shortly.", retry_after=RETRY_AFTER
        )
    if progress.done:
        return NotificationAccepted(status="duplicate")
    queue, messages = _work(deps, integration_id, note)
    queued = _queue_from(deps, delivery, queue, messages, progress.queued, deadline)
    logger.info(
        "notification queued", extra={"crm_module": note.module, "operation": note.operation, "queued": queued}
    )
    return NotificationAccepted(status="queued", queued=len(messages))


def _queue_from(
    deps: Deps,
    delivery: WebhookDelivery,
    queue: MessageQueue,
    messages: list[BaseModel],
    position: int,
    deadline: datetime | None,
) -> int:
    """Queue the messages from `position` on, in batches, recording the progress after each one; stop
    (and ask the CRM to retry) when the request is about to run out of time. Returns how many this
    call queued."""
    start = position
    for batch in batched(messages[position:], MESSAGES_PER_RECORD):
        if deadline is not None and deps.clock() >= deadline:
            raise UnavailableError(
                f"Queued {position} of {len(messages)} records of this notification before the time ran "
                "out; retry it to queue the rest.",
                retry_after=RETRY_AFTER,
            )
        queue.send_batch(batch)
        position += len(batch)
        deps.store.advance_delivery(delivery, position, done=position == len(messages))
    if position == start:  # nothing left to queue (an earlier attempt queued it all)
        deps.store.advance_delivery(delivery, position, done=True)
    metrics.add_metric(name="NotificationRecordsQueued", unit="Count", value=position - start)
    return position - start


def _work(deps: Deps, integration_id: str, note: CrmNotification) -> tuple[MessageQueue, list[BaseModel]]:
    """The work a notification asks for, in a fixed order so that a retry resumes where one stopped:
    a deal event per deal, a CRM-side transaction per new quote, sales order or purchase order, one
    webhook-triggered run for a synced module."""
    ids = sorted(set(note.ids))
    if note.module == "Deals":
        return deps.automation_queue, [
            DealEventMessage(
                integration_id=integration_id, deal_id=deal_id, operation=note.operation, server_time=note.server_time
            )
            for deal_id in ids
        ]
    if note.module in TRANSACTION_MODULES:
        if note.operation != "insert":
            return deps.automation_queue, []
        return deps.automation_queue, [
            CrmTransactionEventMessage(
                integration_id=integration_id, crm_module=note.module, record_id=record_id,
                server_time=note.server_time,
            )
            for record_id in ids
        ]
    module = sync_module_of(note.module)
    if module is None:
        logger.info("notification for a module this service does not sync", extra={"crm_module": note.module})
        return deps.sync_queue, []
    return deps.sync_queue, [SyncMessage(integration_id=integration_id, module=module.value, trigger="webhook")]
