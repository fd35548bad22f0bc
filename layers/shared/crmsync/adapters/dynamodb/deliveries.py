"""Webhook delivery dedupe: a conditional put per delivery, expired by TTL."""

from __future__ import annotations

from datetime import timedelta

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import encode
from crmsync.adapters.dynamodb.table import Condition, ConditionFailed
from crmsync.domain.models import WebhookDelivery

DEDUPE_WINDOW = timedelta(days=7)
TTL_ATTRIBUTE = "expires_at"


class DeliveryArea(StoreBase):
    def record_delivery(self, delivery: WebhookDelivery) -> bool:
        now = self._clock()
        epoch_now = int(now.timestamp())
        extra = {
            **keys.delivery(delivery.dedupe_key()),
            TTL_ATTRIBUTE: int((now + DEDUPE_WINDOW).timestamp()),
        }
        # TTL deletes lag behind expiry, so an expired item counts as absent.
        first_time = Condition(
            "attribute_not_exists(pk) OR #expires < :now", {"#expires": TTL_ATTRIBUTE}, {":now": epoch_now}
        )
        try:
            self._table.put(encode(delivery, extra), first_time)
        except ConditionFailed:
            return False
        return True
