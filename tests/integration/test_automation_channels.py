"""S2: the scheduled run renews CRM notification channels before they expire; a failed renewal shows in
the integration's status until a renewal succeeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmsync.services.channels import renew_due_channels
from tests.conftest import FakeContext, load_handler, sample_event

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]


def expire_in(auto, delta: timedelta) -> None:
    current = auto.integration
    expires = datetime.now(UTC) + delta
    auto.container.store.save_integration(
        current.model_copy(update={"channel": current.channel.model_copy(update={"expires_at": expires})})
    )


def channel_status(auto) -> dict:
    status, body = auto.api("GET", auto.path)
    assert status == 200
    return body["notification_channel"]


def test_scheduled_run_renews_a_channel_that_expires_soon_with_the_same_token(auto):
    expire_in(auto, timedelta(hours=20))
    before = auto.integration.channel

    assert load_handler("scheduled_sync")(sample_event("scheduled_sync", "schedule"), FakeContext()) == {
        "queued": 0
    }

    after = auto.integration.channel
    assert after.expires_at > datetime.now(UTC) + timedelta(days=6)
    assert after.token_hash == before.token_hash and after.channel_ids == before.channel_ids
    [watch, *_] = [w for w in auto.crm.list_watches() if w.channel_id in after.channel_ids]
    assert watch.channel_expiry > datetime.now(UTC) + timedelta(days=6)
    events = {e for w in auto.crm.list_watches() for e in w.events}
    assert {"Deals.all", "Quotes.create", "Sales_Orders.create", "Purchase_Orders.create"} <= events
    assert channel_status(auto)["error"] is None


def test_a_channel_far_from_expiry_is_left_alone(auto):
    assert renew_due_channels(auto.container.deps) == 0


def test_failed_renewal_shows_in_the_status_until_a_renewal_succeeds(auto):
    expire_in(auto, timedelta(hours=1))
    auto.crm_sandbox.set_faults({"kind": "server_error", "next": 100, "path_prefix": "/crm/v8/actions/watch"})
    assert renew_due_channels(auto.container.deps) == 0
    assert "retried at the next scheduled run" in channel_status(auto)["error"]
    auto.crm_sandbox.set_faults()
    assert renew_due_channels(auto.container.deps) == 1
    assert channel_status(auto)["error"] is None


def test_a_channel_the_crm_dropped_asks_for_a_reconnect(auto):
    expire_in(auto, timedelta(hours=1))
    auto.crm.disable_watch(list(auto.integration.channel.channel_ids))
    assert renew_due_channels(auto.container.deps) == 0
    assert "reconnect" in channel_status(auto)["error"]
