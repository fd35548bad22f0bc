"""The activity log (audit trail) and the notifications of an integration, newest first."""

from __future__ import annotations

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import decode, encode
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.domain.journal import ActivityEntry, Notification
from crmsync.domain.models import format_timestamp
from crmsync.ports.store import Page

JSON_FIELDS = ("details",)


class JournalArea(StoreBase):
    def add_activity(self, entry: ActivityEntry) -> None:
        key = keys.activity(entry.integration_id, format_timestamp(entry.at), entry.entry_id)
        self._table.put(encode(entry, key, JSON_FIELDS))

    def list_activity(
        self, integration_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[ActivityEntry]:
        listing = Listing(keys.integration_partition(integration_id), keys.ACTIVITY_PREFIX)
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=True)
        return Page([decode(item, ActivityEntry, JSON_FIELDS) for item in items], next_cursor)

    def add_notification(self, notification: Notification) -> None:
        key = keys.notification(
            notification.integration_id, format_timestamp(notification.at), notification.notification_id
        )
        self._table.put(encode(notification, key, JSON_FIELDS))

    def list_notifications(
        self, integration_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Notification]:
        listing = Listing(keys.integration_partition(integration_id), keys.NOTIFICATION_PREFIX)
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=True)
        return Page([decode(item, Notification, JSON_FIELDS) for item in items], next_cursor)
