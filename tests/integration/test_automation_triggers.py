"""Deal-stage automation (A1-A5) through the trigger function, against both sandboxes over HTTP.

The trigger runs as Lambda runs it (SQS events, partial batch failures), with moto for AWS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync.domain.automation import (
    ClaimStatus,
    TriggerAction,
    TriggerClaim,
    invoice_reference,
    quote_reference,
)
from crmsync.domain.models import CrmSource, IntegrationState, Module, Role, Side
from crmsync.services.automation import catch_up, create_once
from tests.conftest import FakeContext

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]

WON_AND_LOST = {"on_deal_won": "create_invoice", "on_deal_lost": "void_invoice"}


def results(auto) -> list[tuple[str, str]]:
    return [(e.details["action"], e.result) for e in reversed(auto.activity())]


# ------------------------------------------------------------------ A1 won, exactly once
def test_won_deal_gets_one_invoice_with_the_deal_fields_when_delivered_five_times(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    owner = auto.crm.get_record("Deals", deal_id).values["Owner"]["name"]

    assert auto.deliver(deal_id, times=5) == []

    [invoice] = auto.invoices(deal_id)
    full = auto.inventory.get_transaction("invoices", invoice.id).values
    assert full["customer_id"] == auto.customer and full["customer_name"] == auto.account_name
    assert full["salesperson_name"] == owner
    [line] = full["line_items"]
    assert (line["name"], line["description"], line["rate"], line["quantity"]) == (
        "Espresso machines for the Berlin office",
        "Two machines, installed",
        1234.5,
        1,
    )
    link = auto.container.store.get_deal_link(auto.integration_id, "invoices", invoice.id)
    assert link.deal_id == deal_id and link.trigger_made
    assert results(auto) == [("create_invoice", "created")]
    [entry] = auto.activity()
    assert entry.details["stage"] == "Closed Won" and entry.details["transaction_number"] == "INV-00001"


def test_a_handled_deal_event_reports_its_latency_from_the_crm_change(auto, monkeypatch):
    from crmsync.observability import metrics

    emitted = []
    monkeypatch.setattr(metrics, "add_metric", lambda name, unit, value, **_: emitted.append((name, unit, value)))
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")

    assert auto.deliver(deal_id) == []

    [(_, unit, latency)] = [m for m in emitted if m[0] == "AutomationLatency"]
    assert unit == "Milliseconds" and latency > 0  # from server_time (1 ms after the epoch) to now


def test_contact_source_takes_the_deals_contact_as_customer(auto):
    auto.configure(CrmSource.CONTACTS)
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won", account=False, contact=True)
    auto.deliver(deal_id)
    [invoice] = auto.invoices(deal_id)
    assert invoice.values["customer_name"] == auto.contact_name


def test_deal_created_gets_a_quote_when_enabled_and_only_once(auto):
    auto.automation(on_deal_created="create_quote")
    deal_id = auto.new_deal()
    auto.deliver(deal_id, "insert", times=2)
    auto.deliver(deal_id, "update")
    [quote] = auto.documents("estimates", quote_reference(deal_id))
    assert quote.values["customer_id"] == auto.customer
    assert auto.container.store.get_deal_link(auto.integration_id, "estimates", quote.id).trigger_made
    assert results(auto) == [("create_quote", "created")]


def test_open_stage_and_preferences_off_create_nothing(auto):
    auto.automation(on_deal_won="create_invoice")
    open_deal = auto.new_deal("Negotiation/Review")
    auto.deliver(open_deal, "insert")
    auto.automation()
    won = auto.new_deal("Closed Won", name="Another deal")
    auto.deliver(won)
    assert auto.invoices(open_deal) == [] and auto.invoices(won) == [] and auto.activity() == []


# ------------------------------------------------------------------ A2 prerequisite
@pytest.mark.parametrize(
    "source, missing",
    [
        (CrmSource.ACCOUNTS, "account"),
        (CrmSource.ACCOUNTS_AND_CONTACTS, "account"),
        (CrmSource.CONTACTS, "contact"),
    ],
)
def test_deal_without_the_needed_account_or_contact_is_skipped_and_logged(auto, source, missing):
    auto.configure(source)
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won", account=False, contact=False)
    assert auto.deliver(deal_id) == []
    assert auto.invoices(deal_id) == []
    [entry] = auto.activity()
    assert entry.result == "skipped" and f"no {missing}" in entry.reason
    assert auto.container.store.list_trigger_claims(auto.integration_id, deal_id) == []


# ------------------------------------------------------------------ lost and A3
def test_lost_after_won_voids_the_trigger_made_invoice(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.deliver(deal_id)
    auto.set_stage(deal_id, "Closed Lost to Competition")  # lost by its deal category, not its name
    auto.deliver(deal_id, times=2)
    [invoice] = auto.invoices(deal_id)
    assert invoice.values["status"] == "void"
    assert results(auto) == [("create_invoice", "created"), ("void_invoice", "voided")]


def test_lost_leaves_a_sent_invoice_alone_and_logs_why(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.deliver(deal_id)
    [invoice] = auto.invoices(deal_id)
    auto.inventory.set_transaction_status("invoices", invoice.id, "sent")
    auto.set_stage(deal_id, "Closed Lost")
    auto.deliver(deal_id, times=2)
    assert auto.invoices(deal_id)[0].values["status"] == "sent"
    entry = auto.activity()[0]
    assert (entry.details["action"], entry.result) == ("void_invoice", "skipped") and "sent" in entry.reason
    auto.set_stage(deal_id, "Closed Won")  # A3: later changes do nothing to it either
    auto.deliver(deal_id)
    assert len(auto.invoices(deal_id)) == 1 and auto.invoices(deal_id, 2) == []


def test_lost_leaves_an_invoice_with_payments_alone(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.deliver(deal_id)
    [invoice] = auto.invoices(deal_id)
    auto.inventory.set_transaction_status("invoices", invoice.id, "sent")
    auto.inventory_call(
        "POST",
        "/customerpayments",
        {
            "customer_id": auto.customer,
            "amount": 100,
            "invoices": [{"invoice_id": invoice.id, "amount_applied": 100}],
        },
    )
    auto.set_stage(deal_id, "Closed Lost")
    auto.deliver(deal_id)
    assert auto.invoices(deal_id)[0].values["status"] == "partially_paid"
    assert "payments" in auto.activity()[0].reason


def test_won_again_after_lost_gets_a_new_invoice(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.deliver(deal_id)
    auto.set_stage(deal_id, "Closed Lost")
    auto.deliver(deal_id)
    auto.set_stage(deal_id, "Closed Won")
    auto.deliver(deal_id, times=3)
    [first], [second] = auto.invoices(deal_id, 1), auto.invoices(deal_id, 2)
    assert (first.values["status"], second.values["status"]) == ("void", "draft")
    assert results(auto) == [
        ("create_invoice", "created"),
        ("void_invoice", "voided"),
        ("create_invoice", "created"),
    ]


def test_lost_deal_without_a_trigger_made_invoice_changes_nothing(auto):
    auto.automation(**WON_AND_LOST)
    draft = auto.inventory.create_transaction(
        "invoices", {"customer_id": auto.customer, "line_items": [{"name": "Hand made", "rate": 5}]}
    )
    deal_id = auto.new_deal("Closed Lost")
    assert auto.deliver(deal_id) == []
    assert auto.inventory.get_transaction("invoices", draft.id).values["status"] == "draft"


# ------------------------------------------------------------------ crashes, claims, retries
def test_crash_after_create_before_recording_leaves_one_invoice(auto, monkeypatch):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    real_complete = create_once.CreateOnce.complete
    crashes = []

    def crash_once(self, claim, record, kind, reason=None):
        if not crashes:
            crashes.append(record.id)
            raise RuntimeError("worker died after the create call")
        return real_complete(self, claim, record, kind, reason)

    monkeypatch.setattr(create_once.CreateOnce, "complete", crash_once)
    assert auto.deliver(deal_id) == [{"itemIdentifier": "msg-1"}]
    assert auto.deliver(deal_id, times=2) == []

    [invoice] = auto.invoices(deal_id)
    assert invoice.id == crashes[0]
    [claim] = auto.container.store.list_trigger_claims(auto.integration_id, deal_id)
    assert claim.status is ClaimStatus.DONE and claim.transaction_id == invoice.id
    [entry] = auto.activity()
    assert entry.result == "created" and "interrupted" in entry.reason


def test_lost_after_an_interrupted_win_finds_the_invoice_and_voids_it(auto, monkeypatch):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    real_complete = create_once.CreateOnce.complete

    def crash(self, claim, record, kind, reason=None):
        raise RuntimeError("worker died after the create call")

    monkeypatch.setattr(create_once.CreateOnce, "complete", crash)
    assert auto.deliver(deal_id) == [{"itemIdentifier": "msg-1"}]
    monkeypatch.setattr(create_once.CreateOnce, "complete", real_complete)
    auto.set_stage(deal_id, "Closed Lost")
    assert auto.deliver(deal_id) == []
    [invoice] = auto.invoices(deal_id)
    assert invoice.values["status"] == "void"
    assert auto.container.store.get_deal_link(auto.integration_id, "invoices", invoice.id).trigger_made


def test_a_live_claim_is_retried_later_and_an_expired_one_is_taken_over(auto, monkeypatch):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.container.store.claim_trigger(
        TriggerClaim(
            integration_id=auto.integration_id,
            source_id=deal_id,
            action=TriggerAction.CREATE_INVOICE,
            reference_number=invoice_reference(deal_id, 1),
            transaction_kind="invoices",
            claimed_at=datetime.now(UTC),
        )
    )
    assert auto.deliver(deal_id) == [{"itemIdentifier": "msg-1"}]  # another run may still be creating it
    assert auto.invoices(deal_id) == []
    monkeypatch.setattr(create_once, "CLAIM_LEASE", timedelta(0))
    assert auto.deliver(deal_id) == []
    assert len(auto.invoices(deal_id)) == 1


def test_inventory_outage_releases_the_claim_and_the_retry_creates_one_invoice(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.inventory_sandbox.set_faults(
        {"kind": "server_error", "next": 50, "path_prefix": "/inventory/v1/invoices"}
    )
    assert auto.deliver(deal_id) == [{"itemIdentifier": "msg-1"}]
    [claim] = auto.container.store.list_trigger_claims(auto.integration_id, deal_id)
    assert claim.status is ClaimStatus.FAILED
    auto.inventory_sandbox.set_faults()
    assert auto.deliver(deal_id) == []
    assert len(auto.invoices(deal_id)) == 1


def test_refused_invoice_is_logged_as_failed_and_not_retried(auto):
    auto.automation(**WON_AND_LOST)
    auto.inventory_call("POST", f"/contacts/{auto.customer}/inactive")
    deal_id = auto.new_deal("Closed Won")
    assert auto.deliver(deal_id) == []
    [entry] = auto.activity()
    assert entry.result == "failed" and "inventory refused" in entry.reason


# ------------------------------------------------------------------ who automates
def test_disabled_paused_and_secondary_integrations_do_not_automate(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    store = auto.container.store
    store.transition_integration(
        auto.integration_id, allowed_from={IntegrationState.ACTIVE}, to=IntegrationState.PAUSED
    )
    assert auto.deliver(deal_id) == [] and auto.invoices(deal_id) == []
    store.transition_integration(
        auto.integration_id, allowed_from={IntegrationState.PAUSED}, to=IntegrationState.DISABLED
    )
    assert auto.deliver(deal_id) == [] and auto.invoices(deal_id) == []
    store.transition_integration(
        auto.integration_id, allowed_from={IntegrationState.DISABLED}, to=IntegrationState.ACTIVE
    )
    current = store.get_integration(auto.integration_id)
    store.save_integration(current.model_copy(update={"role": Role.SECONDARY, "two_way": False}))
    assert auto.deliver(deal_id) == [] and auto.invoices(deal_id) == []
    [entry] = auto.activity()
    assert entry.result == "skipped" and "secondary" in entry.reason


def test_deleted_deal_and_delete_events_do_nothing(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.crm.delete_records("Deals", [deal_id])
    assert auto.deliver(deal_id) == [] and auto.deliver(deal_id, "delete") == []
    assert auto.invoices(deal_id) == [] and auto.activity() == []


# ------------------------------------------------------------------ the queue contract
def test_a_malformed_message_fails_alone_in_its_batch(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    good = (
        f'{{"integration_id": "{auto.integration_id}", "deal_id": "{deal_id}", "operation": "update", '
        '"server_time": 1}'
    )
    reply = auto.trigger(auto.sqs_event(good, '{"deal_oops": 1}', receive_count=5), FakeContext())
    assert reply == {"batchItemFailures": [{"itemIdentifier": "msg-2"}]}
    assert len(auto.invoices(deal_id)) == 1


# ------------------------------------------------------------------ the scheduled catch-up
def test_catch_up_requeues_a_deal_whose_notification_was_lost(auto):
    auto.automation(on_deal_created="create_quote", **WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")  # no notification reaches us
    assert catch_up.catch_up(auto.container.deps) == 1
    assert auto.drain_automation_queue() == 1
    assert (
        len(auto.invoices(deal_id)) == 1 and len(auto.documents("estimates", quote_reference(deal_id))) == 1
    )
    assert catch_up.catch_up(auto.container.deps) == 0  # the watermark moved past it
    auto.set_stage(deal_id, "Closed Lost")
    assert catch_up.catch_up(auto.container.deps) == 1
    auto.drain_automation_queue()
    assert auto.invoices(deal_id)[0].values["status"] == "void"


# ------------------------------------------------------------------ L2 removes the links
def test_disabling_with_transaction_sync_removes_the_deal_links(auto):
    auto.automation(**WON_AND_LOST)
    deal_id = auto.new_deal("Closed Won")
    auto.deliver(deal_id)
    assert auto.api("POST", f"{auto.path}/transactions/enable")[0] == 200
    status, _ = auto.api("POST", f"{auto.path}/disable", {"confirm": True})
    assert status == 200
    assert auto.container.store.list_deal_links(auto.integration_id, deal_id) == []
    entry = next(e for e in auto.activity("integration_disabled"))
    assert entry.details == {"finance_links_removed": 1}


# ------------------------------------------------------------------ the customer is imported first
def test_won_deal_of_an_unmapped_account_imports_the_customer_first(auto):
    auto.automation(**WON_AND_LOST)
    [outcome] = auto.crm.insert_records(
        "Accounts", [{"Account_Name": "Nordlicht Handel AG", "Billing_City": "Kiel"}]
    )
    deal_id = auto.new_deal("Closed Won")
    auto.crm.update_records("Deals", [{"id": deal_id, "Account_Name": {"id": outcome.id}}])
    assert auto.deliver(deal_id) == []
    [invoice] = auto.invoices(deal_id)
    assert invoice.values["customer_name"] == "Nordlicht Handel AG"
    mapping = auto.container.store.get_mapping(auto.integration_id, Module.CUSTOMERS, Side.CRM, outcome.id)
    assert mapping.inventory_id == invoice.values["customer_id"]
