"""Webhook deliveries: a record per CRM notification that says how far its queueing got, so a retry of
the same notification queues only the rest; expired by TTL after the dedupe window.

Attributes besides the delivery: `queued` (messages queued, in the notification's order), `done`,
`lease_until` (epoch seconds: the attempt queueing it now holds it until then).
"""

from __future__ import annotations

from datetime import timedelta

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import encode
from crmsync.adapters.dynamodb.table import Condition, ConditionFailed
from crmsync.domain.journal import DeliveryProgress, WebhookDelivery

DEDUPE_WINDOW = timedelta(days=7)
TTL_ATTRIBUTE = "expires_at"


class DeliveryArea(StoreBase):
    def begin_delivery(self, delivery: WebhookDelivery, lease: timedelta) -> DeliveryProgress | None:
        now = self._clock()
        epoch_now, lease_until = int(now.timestamp()), int((now + lease).timestamp())
        key = keys.delivery(delivery.dedupe_key())
        fresh = {
            **key,
            TTL_ATTRIBUTE: int((now + DEDUPE_WINDOW).timestamp()),
            "queued": 0,
            "done": False,
            "lease_until": lease_until,
        }
        # TTL deletes lag behind expiry, so an expired item counts as absent.
        first_time = Condition(
            "attribute_not_exists(pk) OR #expires < :now", {"#expires": TTL_ATTRIBUTE}, {":now": epoch_now}
        )
        try:
            self._table.put(encode(delivery, fresh), first_time)
            return DeliveryProgress()
        except ConditionFailed:
            pass
        lease_over = Condition(
            "#done = :false AND #lease < :now", {"#done": "done", "#lease": "lease_until"},
            {":false": False, ":now": epoch_now},
        )
        try:
            item = self._table.update(
                key, "SET #lease = :lease_until", {"#lease": "lease_until"}, {":lease_until": lease_until},
                lease_over,
            )
        except ConditionFailed as held:
            done = bool(held.item and held.item.get("done", {}).get("BOOL"))
            return DeliveryProgress(queued=_queued(held.item), done=True) if done else None
        return DeliveryProgress(queued=_queued(item))

    def advance_delivery(self, delivery: WebhookDelivery, queued: int, *, done: bool = False) -> None:
        self._table.update(
            keys.delivery(delivery.dedupe_key()),
            "SET #queued = :queued, #done = :done",
            {"#queued": "queued", "#done": "done"},
            {":queued": queued, ":done": done},
        )


def _queued(item: dict | None) -> int:
    return int(item["queued"]["N"]) if item and "queued" in item else 0
