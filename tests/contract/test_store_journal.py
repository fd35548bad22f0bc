"""Store contract: activity log, notifications, webhook delivery dedupe."""

from __future__ import annotations

from datetime import timedelta

from crmsync.domain.models import WebhookDelivery

DELIVERY = WebhookDelivery(
    channel_id="1000000068001", ids=("5725", "5726"), operation="update", server_time=1718115953625
)


def test_list_activity_pages_newest_first_when_many(store, make, clock):
    entries = []
    for n in range(5):
        entries.append(make.activity("int-1", details={"deal_id": f"D{n}", "amount": 10.25, "lines": [1, 2]}))
        store.add_activity(entries[-1])
        clock.advance(milliseconds=1)
    store.add_activity(make.activity("int-2"))
    first = store.list_activity("int-1", limit=3)
    rest = store.list_activity("int-1", limit=3, cursor=first.next_cursor)
    assert first.items + rest.items == list(reversed(entries))
    assert rest.next_cursor is None


def test_list_notifications_returns_newest_first_when_several(store, make, clock):
    older = make.notification("int-1", kind="sync_failed", message="Sync failed.")
    store.add_notification(older)
    clock.advance(days=1)
    newer = make.notification("int-1", details={"kept": "all"})
    store.add_notification(newer)
    assert store.list_notifications("int-1").items == [newer, older]
    assert store.list_activity("int-1").items == []


def test_record_delivery_is_true_only_the_first_time_when_delivered_twice(store):
    assert store.record_delivery(DELIVERY) is True
    assert store.record_delivery(DELIVERY) is False
    reordered = DELIVERY.model_copy(update={"ids": ("5726", "5725")})
    assert store.record_delivery(reordered) is False
    assert store.record_delivery(DELIVERY.model_copy(update={"server_time": 1718115953626})) is True


def test_record_delivery_sets_ttl_seven_days_ahead_when_first_seen(backend, clock):
    backend.store.record_delivery(DELIVERY)
    item = backend.raw_item(f"DELIVERY#{DELIVERY.dedupe_key()}", "DELIVERY")
    assert int(item["expires_at"]["N"]) == int((clock() + timedelta(days=7)).timestamp())


def test_record_delivery_is_true_again_when_previous_record_expired(store, clock):
    store.record_delivery(DELIVERY)
    clock.advance(days=7, seconds=1)  # expired, even if TTL has not deleted it yet
    assert store.record_delivery(DELIVERY) is True
    assert store.record_delivery(DELIVERY) is False
