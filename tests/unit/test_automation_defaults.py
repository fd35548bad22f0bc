"""What a trigger claim and a deal link are when made with only what identifies them (A1, A3, A5, W3).

The exactly-once path (`CreateOnce.take_claim`) and W3's associate rely on these defaults: a claim
starts pending at the first generation and has never been stored; a link starts hand-made, so it can
still be moved to another deal or dissociated. Checked through what uses them: the invoice generation
rule, the store (moto), and the API's link view.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crmsync.api.automation_models import DealLinkOut
from crmsync.domain.automation import (
    ClaimStatus,
    DealLink,
    TriggerAction,
    TriggerClaim,
    invoice_generation,
    invoice_reference,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def fresh_claim(action: TriggerAction = TriggerAction.CREATE_INVOICE) -> TriggerClaim:
    """A claim as the exactly-once path makes it before the vendor call: no status, generation or version."""
    return TriggerClaim(integration_id="int-1", source_id="deal-1", action=action, claimed_at=NOW)


def hand_made_link(deal_id: str = "deal-1") -> DealLink:
    """A link as W3's associate makes it: no `trigger_made`, no deal name."""
    return DealLink(
        integration_id="int-1",
        transaction_kind="invoices",
        transaction_id="inv-1",
        deal_id=deal_id,
        linked_at=NOW,
    )


# ------------------------------------------------------------------ trigger claims
def test_fresh_claim_is_pending_first_generation_unstored_and_has_no_document():
    claim = fresh_claim()
    assert claim.status is ClaimStatus.PENDING and claim.generation == 1
    assert (claim.version, claim.updated_at) == (0, None)  # 0: never stored; the store numbers writes from 1
    assert (claim.reference_number, claim.reason) == (None, None)
    assert (claim.transaction_kind, claim.transaction_id, claim.transaction_number) == (None, None, None)


def test_fresh_invoice_claim_is_the_deals_first_invoice():
    assert invoice_reference("deal-1", fresh_claim().generation) == "CRM-DEAL-deal-1-INV-1"


def test_pending_invoice_does_not_start_a_new_generation_even_when_its_void_is_done():
    """A3 then won again: only a done invoice whose void went through gets a successor; a pending one
    (its create may still be under way) keeps its generation."""
    pending_invoice = fresh_claim()
    void_done = fresh_claim(TriggerAction.VOID_INVOICE).model_copy(update={"status": ClaimStatus.DONE})
    assert invoice_generation([pending_invoice, void_done]) == 1
    done_invoice = pending_invoice.model_copy(update={"status": ClaimStatus.DONE})
    assert invoice_generation([done_invoice, void_done]) == 2


def test_fresh_claim_is_stored_pending_at_generation_one_with_version_one(aws):
    stored = aws.store.claim_trigger(fresh_claim())
    assert (stored.status, stored.generation, stored.version) == (ClaimStatus.PENDING, 1, 1)
    [listed] = aws.store.list_trigger_claims("int-1", "deal-1")
    assert (listed.status, listed.generation, listed.transaction_id) == (ClaimStatus.PENDING, 1, None)


# ------------------------------------------------------------------ deal links
def test_link_without_trigger_made_is_shown_hand_made_and_unnamed():
    shown = DealLinkOut.of(hand_made_link())
    assert (shown.trigger_made, shown.deal_name, shown.type) == (False, None, "invoices")


def test_link_without_trigger_made_can_be_moved_to_another_deal_and_dissociated(aws):
    store = aws.store
    store.save_deal_link(hand_made_link("deal-1"))
    store.save_deal_link(hand_made_link("deal-2"))  # a trigger-made link would refuse this (A5)
    assert store.get_deal_link("int-1", "invoices", "inv-1").deal_id == "deal-2"
    store.delete_deal_link("int-1", "invoices", "inv-1")
    assert store.get_deal_link("int-1", "invoices", "inv-1") is None
