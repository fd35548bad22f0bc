"""Store contract: activity log, notifications, webhook delivery dedupe."""

from __future__ import annotations

from datetime import timedelta

from crmsync.domain.journal import DeliveryProgress, WebhookDelivery

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


LEASE = timedelta(seconds=30)


def test_begin_delivery_takes_it_once_while_its_lease_runs(store):
    assert store.begin_delivery(DELIVERY, LEASE) == DeliveryProgress()
    assert store.begin_delivery(DELIVERY, LEASE) is None
    reordered = DELIVERY.model_copy(update={"ids": ("5726", "5725")})
    assert store.begin_delivery(reordered, LEASE) is None
    later = DELIVERY.model_copy(update={"server_time": 1718115953626})
    assert store.begin_delivery(later, LEASE) == DeliveryProgress()


def test_begin_delivery_says_done_when_every_message_was_queued(store):
    store.begin_delivery(DELIVERY, LEASE)
    store.advance_delivery(DELIVERY, 2, done=True)
    assert store.begin_delivery(DELIVERY, LEASE) == DeliveryProgress(queued=2, done=True)


def test_begin_delivery_resumes_where_an_attempt_stopped_when_its_lease_ran_out(store, clock):
    store.begin_delivery(DELIVERY, LEASE)
    store.advance_delivery(DELIVERY, 1)
    clock.advance(seconds=29)
    assert store.begin_delivery(DELIVERY, LEASE) is None
    clock.advance(seconds=2)
    assert store.begin_delivery(DELIVERY, LEASE) == DeliveryProgress(queued=1)
    assert store.begin_delivery(DELIVERY, LEASE) is None  # the new lease holds


def test_begin_delivery_sets_ttl_seven_days_ahead_when_first_seen(backend, clock):
    backend.store.begin_delivery(DELIVERY, LEASE)
    item = backend.raw_item(f"DELIVERY#{DELIVERY.dedupe_key()}", "DELIVERY")
    assert int(item["expires_at"]["N"]) == int((clock() + timedelta(days=7)).timestamp())


def test_begin_delivery_starts_afresh_when_the_previous_record_expired(store, clock):
    store.begin_delivery(DELIVERY, LEASE)
    store.advance_delivery(DELIVERY, 2, done=True)
    clock.advance(days=7, seconds=1)  # expired, even if TTL has not deleted it yet
    assert store.begin_delivery(DELIVERY, LEASE) == DeliveryProgress()
    assert store.begin_delivery(DELIVERY, LEASE) is None
