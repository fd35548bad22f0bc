"""Store contract: record mappings, claims before creates, tombstones."""

from __future__ import annotations

import pytest

from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import MappingStatus, Module, Side

BASE = {
    "Account_Name": "Ünïcode GmbH",
    "rate": 0.1,
    "qty": 3,
    "empty": "",
    "tags": ["a", None],
    "nested": {"x": 1.0},
}


def test_link_mapping_is_found_from_either_side_when_linked(store, make):
    mapping = make.mapping("int-1", base=BASE, crm_hash="h1", inventory_hash="h2")
    stored = store.link_mapping(mapping)
    assert stored.version == 1
    by_crm = store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, mapping.crm_id)
    by_inventory = store.get_mapping("int-1", Module.CUSTOMERS, Side.INVENTORY, mapping.inventory_id)
    assert by_crm == by_inventory == stored
    assert by_crm.base == BASE and isinstance(by_crm.base["nested"]["x"], float)
    assert store.get_mapping("int-1", Module.VENDORS, Side.CRM, mapping.crm_id) is None


def test_link_mapping_raises_already_exists_when_inventory_record_is_mapped(store, make):
    taken = store.link_mapping(make.mapping("int-1"))
    with pytest.raises(AlreadyExistsError) as raised:
        store.link_mapping(make.mapping("int-1", inventory_id=taken.inventory_id))
    assert raised.value.current == taken


def test_claim_mapping_writes_pending_claim_when_record_is_unmapped(store, make):
    claim = make.claim("int-1", Side.CRM, "c-1")
    stored = store.claim_mapping(claim)
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1") == stored
    assert (stored.status, stored.version) == (MappingStatus.PENDING, 1)


def test_claim_mapping_raises_already_exists_with_the_claim_when_claimed_twice(store, make):
    first = store.claim_mapping(make.claim("int-1", Side.INVENTORY, "i-1"))
    with pytest.raises(AlreadyExistsError) as raised:
        store.claim_mapping(make.claim("int-1", Side.INVENTORY, "i-1"))
    assert raised.value.current == first


def test_an_abandoned_claim_loses_its_time_stamp_and_can_still_be_completed(store, make):
    """Issue 13 point 9: a failed attempt's claims are taken as abandoned by the next one at once."""
    claim = store.claim_mapping(make.claim("int-1", Side.CRM, "c-1"))
    store.abandon_claim(claim)
    abandoned = store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1")
    assert (abandoned.status, abandoned.version, abandoned.updated_at) == (MappingStatus.PENDING, 1, None)
    done = store.complete_claim(
        abandoned.model_copy(update={"status": MappingStatus.LINKED, "inventory_id": "i-9"})
    )
    store.abandon_claim(claim)  # no longer pending: left as it is
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1") == done


def test_complete_claim_links_both_sides_when_claim_is_pending(store, make):
    claim = store.claim_mapping(make.claim("int-1", Side.CRM, "c-1"))
    done = store.complete_claim(
        claim.model_copy(update={"status": MappingStatus.LINKED, "inventory_id": "i-9"})
    )
    assert done.version == 2
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.INVENTORY, "i-9") == done
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1") == done


def test_complete_claim_raises_conflict_when_claim_was_completed_already(store, make):
    claim = store.claim_mapping(make.claim("int-1", Side.CRM, "c-1"))
    linked = claim.model_copy(update={"status": MappingStatus.LINKED, "inventory_id": "i-9"})
    store.complete_claim(linked)
    with pytest.raises(ConflictError) as raised:
        store.complete_claim(linked.model_copy(update={"inventory_id": "i-10"}))
    assert raised.value.current.inventory_id == "i-9"
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.INVENTORY, "i-10") is None


def test_complete_claim_raises_already_exists_when_target_record_is_mapped(store, make):
    other = store.link_mapping(make.mapping("int-1"))
    claim = store.claim_mapping(make.claim("int-1", Side.CRM, "c-1"))
    with pytest.raises(AlreadyExistsError):
        store.complete_claim(
            claim.model_copy(update={"status": MappingStatus.LINKED, "inventory_id": other.inventory_id})
        )
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1") == claim


def test_update_mapping_writes_both_sides_when_version_is_current(store, make, clock):
    stored = store.link_mapping(make.mapping("int-1"))
    deleted_at = clock.advance(hours=1)
    tombstoned = stored.model_copy(
        update={"tombstone_side": Side.CRM, "tombstone_at": deleted_at, "crm_hash": "h3", "base": {"a": 2}}
    )
    updated = store.update_mapping(tombstoned)
    assert updated.version == 2
    for side in Side:
        assert store.get_mapping("int-1", Module.CUSTOMERS, side, stored.id_on(side)) == updated


def test_update_mapping_raises_conflict_when_version_is_stale(store, make):
    stored = store.link_mapping(make.mapping("int-1"))
    store.update_mapping(stored.model_copy(update={"crm_hash": "new"}))
    with pytest.raises(ConflictError) as raised:
        store.update_mapping(stored.model_copy(update={"crm_hash": "older"}))
    assert raised.value.current == 2
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, stored.crm_id).crm_hash == "new"


def test_update_mapping_raises_not_found_when_mapping_was_deleted(store, make):
    stored = store.link_mapping(make.mapping("int-1"))
    store.delete_mapping(stored)
    with pytest.raises(NotFoundError):
        store.update_mapping(stored)


def test_delete_mapping_removes_both_sides_when_called_twice(store, make):
    stored = store.link_mapping(make.mapping("int-1"))
    store.delete_mapping(stored)
    store.delete_mapping(stored)
    for side in Side:
        assert store.get_mapping("int-1", Module.CUSTOMERS, side, stored.id_on(side)) is None


def test_delete_mapping_releases_a_claim_when_pending(store, make):
    claim = store.claim_mapping(make.claim("int-1", Side.CRM, "c-1"))
    store.delete_mapping(claim)
    assert store.claim_mapping(make.claim("int-1", Side.CRM, "c-1")).version == 1


def test_get_mappings_returns_found_ones_when_asked_for_more_than_a_batch(store, make):
    linked = [store.link_mapping(make.mapping("int-1", crm_id=f"c-{n:03}")) for n in (5, 77, 142)]
    found = store.get_mappings("int-1", Module.CUSTOMERS, Side.CRM, [f"c-{n:03}" for n in range(150)])
    assert found == {m.crm_id: m for m in linked}


def test_list_mappings_pages_one_side_when_many(store, make):
    linked = [store.link_mapping(make.mapping("int-1", crm_id=f"c-{n}")) for n in range(5)]
    store.claim_mapping(make.claim("int-1", Side.INVENTORY, "i-only"))
    first = store.list_mappings("int-1", Module.CUSTOMERS, Side.CRM, limit=3)
    rest = store.list_mappings("int-1", Module.CUSTOMERS, Side.CRM, limit=3, cursor=first.next_cursor)
    assert first.items + rest.items == linked
    assert rest.next_cursor is None
    inventory_side = store.list_mappings("int-1", Module.CUSTOMERS, Side.INVENTORY)
    assert len(inventory_side.items) == 6
