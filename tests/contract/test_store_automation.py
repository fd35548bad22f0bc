"""Store contract: deal links (W3, A5), trigger claims (exactly-once automation), the deal watermark."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmsync.domain.automation import ClaimStatus, DealLink, DealWatermark, TriggerAction, TriggerClaim
from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError


def link(clock, integration_id="int-1", txn="inv-1", deal="deal-1", kind="invoices", **fields) -> DealLink:
    return DealLink(
        integration_id=integration_id,
        transaction_kind=kind,
        transaction_id=txn,
        deal_id=deal,
        linked_at=clock(),
        **fields,
    )


def claim(
    clock, source="deal-1", action=TriggerAction.CREATE_INVOICE, generation=1, **fields
) -> TriggerClaim:
    return TriggerClaim(
        integration_id="int-1",
        source_id=source,
        action=action,
        generation=generation,
        claimed_at=clock(),
        **fields,
    )


# ------------------------------------------------------------------ deal links
def test_hand_made_link_can_be_replaced_read_listed_and_deleted(store, clock):
    store.save_deal_link(link(clock, deal="deal-1"))
    store.save_deal_link(link(clock, deal="deal-2", deal_name="Big deal"))
    assert store.get_deal_link("int-1", "invoices", "inv-1").deal_id == "deal-2"
    assert store.list_deal_links("int-1", "deal-1") == []
    assert [x.deal_name for x in store.list_deal_links("int-1", "deal-2")] == ["Big deal"]
    store.delete_deal_link("int-1", "invoices", "inv-1")
    assert store.get_deal_link("int-1", "invoices", "inv-1") is None


def test_trigger_made_link_cannot_be_replaced_or_deleted_when_a_trigger_made_it(store, clock):
    store.save_deal_link(link(clock, trigger_made=True))
    with pytest.raises(ConflictError) as replaced:
        store.save_deal_link(link(clock, deal="deal-9"))
    assert replaced.value.current.deal_id == "deal-1" and replaced.value.current.trigger_made
    with pytest.raises(ConflictError):
        store.delete_deal_link("int-1", "invoices", "inv-1")
    assert store.get_deal_link("int-1", "invoices", "inv-1").deal_id == "deal-1"


def test_deleting_a_missing_link_raises_not_found_when_nothing_is_linked(store):
    with pytest.raises(NotFoundError):
        store.delete_deal_link("int-1", "invoices", "nope")


def test_remove_deal_links_deletes_every_link_of_one_integration_only(store, clock):
    for n in range(30):
        store.save_deal_link(link(clock, txn=f"inv-{n}", trigger_made=n % 2 == 0))
    store.save_deal_link(link(clock, integration_id="int-2"))
    assert store.remove_deal_links("int-1") == 30
    assert store.list_deal_links("int-1", "deal-1") == []
    assert store.get_deal_link("int-2", "invoices", "inv-1") is not None


# ------------------------------------------------------------------ trigger claims
def test_first_claim_wins_and_the_second_sees_the_stored_claim(store, clock):
    first = store.claim_trigger(claim(clock, reference_number="REF-1"))
    assert first.version == 1 and first.status is ClaimStatus.PENDING
    with pytest.raises(AlreadyExistsError) as taken:
        store.claim_trigger(claim(clock, reference_number="REF-2"))
    assert taken.value.current.reference_number == "REF-1"


def test_claim_saves_only_from_the_version_read(store, clock):
    stored = store.claim_trigger(claim(clock))
    done = store.save_trigger_claim(
        stored.model_copy(update={"status": ClaimStatus.DONE, "transaction_id": "X"})
    )
    assert done.version == 2
    with pytest.raises(ConflictError) as stale:
        store.save_trigger_claim(stored.model_copy(update={"status": ClaimStatus.FAILED}))
    assert stale.value.current.transaction_id == "X"


def test_claims_of_a_source_list_by_action_and_generation(store, clock):
    for generation in (10, 2, 1):
        store.claim_trigger(claim(clock, generation=generation))
    store.claim_trigger(claim(clock, action=TriggerAction.VOID_INVOICE))
    store.claim_trigger(claim(clock, source="deal-10"))
    listed = store.list_trigger_claims("int-1", "deal-1")
    assert [(c.action, c.generation) for c in listed] == [
        (TriggerAction.CREATE_INVOICE, 1),
        (TriggerAction.CREATE_INVOICE, 2),
        (TriggerAction.CREATE_INVOICE, 10),
        (TriggerAction.VOID_INVOICE, 1),
    ]


# ------------------------------------------------------------------ watermark and purge
def test_deal_watermark_only_moves_forward(store, clock):
    assert store.get_deal_watermark("int-1") is None
    assert store.save_deal_watermark(
        DealWatermark(integration_id="int-1", position=clock(), seen_ids=("d1",))
    )
    earlier = DealWatermark(integration_id="int-1", position=clock() - timedelta(seconds=1))
    assert store.save_deal_watermark(earlier) is False
    assert store.save_deal_watermark(
        DealWatermark(integration_id="int-1", position=clock(), seen_ids=("d1", "d2"))
    )
    assert store.get_deal_watermark("int-1").seen_ids == ("d1", "d2")


def test_purge_integration_removes_links_claims_and_watermark(store, make, clock):
    store.create_integration(make.integration(integration_id="int-1"))
    store.save_deal_link(link(clock, trigger_made=True))
    store.claim_trigger(claim(clock))
    store.save_deal_watermark(DealWatermark(integration_id="int-1", position=clock()))
    assert store.purge_integration("int-1").done
    assert store.get_deal_link("int-1", "invoices", "inv-1") is None
    assert store.list_trigger_claims("int-1", "deal-1") == []
    assert store.get_deal_watermark("int-1") is None
