"""L3: re-enabling a disabled integration does not replay the deals of the disabled period into
quotes and invoices (the scheduled catch-up, A1) unless the admin asks for it; against both
sandboxes over HTTP, through the lifecycle handler."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.domain.automation import quote_reference
from crmsync.services.automation import catch_up

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]

TRIGGERS = {
    "on_deal_created": "create_quote",
    "on_deal_won": "create_invoice",
    "on_deal_lost": "void_invoice",
}


@pytest.fixture
def disabled_with_a_won_deal(auto):
    """Automation on and caught up; then disabled, and a deal is created won in the CRM meanwhile."""
    auto.automation(**TRIGGERS)
    assert catch_up.catch_up(auto.container.deps) == 0
    assert auto.api("POST", f"{auto.path}/disable", {})[0] == 200
    auto.won_while_disabled = auto.new_deal("Closed Won")
    assert catch_up.catch_up(auto.container.deps) == 0  # a disabled integration is not read
    after_the_stamp(auto, auto.won_while_disabled)
    return auto


def after_the_stamp(auto, deal_id: str) -> None:
    """Waits until the wall clock is a second past the deal's `Modified_Time`: the CRM stamps changes
    to the second, and the sandbox's stamps run ahead of the wall clock under a burst of writes."""
    [stamp] = [
        change.modified
        for changes in auto.crm.iter_deal_changes(datetime.now(UTC) - timedelta(hours=1))
        for change in changes
        if change.id == deal_id
    ]
    time.sleep(max(0.0, (stamp - datetime.now(UTC)).total_seconds()) + 1.05)


def test_enabling_does_not_replay_the_deals_of_the_disabled_period(disabled_with_a_won_deal):
    auto = disabled_with_a_won_deal
    status, body = auto.api("POST", f"{auto.path}/enable")
    assert status == 200 and body["state"] == "active"
    assert catch_up.catch_up(auto.container.deps) == 0
    deal_id = auto.won_while_disabled
    assert auto.invoices(deal_id) == [] and auto.documents("estimates", quote_reference(deal_id)) == []
    [entry] = auto.activity("integration_enabled")
    assert entry.details == {"replay_disabled_period": False}

    later = auto.new_deal("Closed Won", name="Won after enabling")  # the catch-up still watches from now
    assert catch_up.catch_up(auto.container.deps) == 1
    assert auto.drain_automation_queue() == 1
    assert len(auto.invoices(later)) == 1 and auto.invoices(deal_id) == []


def test_enabling_with_replay_runs_the_triggers_for_the_disabled_period(disabled_with_a_won_deal):
    auto = disabled_with_a_won_deal
    status, _ = auto.api("POST", f"{auto.path}/enable", {"replay_disabled_period": True})
    assert status == 200
    assert catch_up.catch_up(auto.container.deps) == 1
    assert auto.drain_automation_queue() == 1
    deal_id = auto.won_while_disabled
    assert (
        len(auto.invoices(deal_id)) == 1 and len(auto.documents("estimates", quote_reference(deal_id))) == 1
    )
    [entry] = auto.activity("integration_enabled")
    assert entry.details == {"replay_disabled_period": True}


def test_enable_refuses_a_replay_option_that_is_not_a_boolean(disabled_with_a_won_deal):
    auto = disabled_with_a_won_deal
    status, error = auto.api("POST", f"{auto.path}/enable", {"replay_disabled_period": "yes"})
    assert status == 422 and "replay_disabled_period" in str(error["error"]["details"])
    assert auto.api("POST", f"{auto.path}/enable", {"replay": True})[0] == 422
    assert auto.integration.state == "disabled"


def test_turning_automation_back_on_does_not_replay_the_deals_changed_while_it_was_off(auto):
    auto.automation(**TRIGGERS)
    assert catch_up.catch_up(auto.container.deps) == 0
    auto.automation()  # all off
    deal_id = auto.new_deal("Closed Won")
    after_the_stamp(auto, deal_id)
    auto.automation(**TRIGGERS)
    assert catch_up.catch_up(auto.container.deps) == 0 and auto.invoices(deal_id) == []
