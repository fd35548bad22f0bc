"""Store contract: what a preview run (B2) keeps in its run's partition instead of the real mappings and
match index, its samples, and the unique names its creates used; purged with the integration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync.domain.errors import InvalidCursorError
from crmsync.domain.models import MappingStatus, Module, Side
from crmsync.domain.preview import FieldChange, PreviewOutcome, PreviewSample
from crmsync.domain.sync.model import RecordKind, SourceRecord
from crmsync.domain.sync_state import Mapping
from crmsync.ports.previews import IndexOverlay

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def pair(crm_id: str, inventory_id: str) -> Mapping:
    return Mapping(
        integration_id="int-1",
        module=Module.CUSTOMERS,
        crm_id=crm_id,
        inventory_id=inventory_id,
        base={"contact_name": "Café Münster", "rate": 0.1},
        version=3,
    )


def sample(outcome: PreviewOutcome, seq: int) -> PreviewSample:
    return PreviewSample(
        outcome=outcome,
        seq=seq,
        side=Side.CRM,
        record_id=f"c{seq}",
        record_kind="account",
        crm_name="Café",
        changes=(FieldChange(side=Side.INVENTORY, field="rate", value=0.1),),
    )


def test_preview_mappings_are_found_by_each_sides_id_and_never_among_the_real_ones(store):
    claim = Mapping(
        integration_id="int-1",
        module=Module.CUSTOMERS,
        status=MappingStatus.PENDING,
        claim_side=Side.INVENTORY,
        inventory_id="i9",
        version=1,
    )
    store.put_preview_mappings("run-1", [pair("c1", "i1"), claim])
    assert store.get_preview_mappings("run-1", Side.CRM, ["c1", "c2"]) == {"c1": pair("c1", "i1")}
    assert store.get_preview_mappings("run-1", Side.INVENTORY, ["i1", "i9"]) == {
        "i1": pair("c1", "i1"),
        "i9": claim,
    }
    assert store.get_preview_mappings("run-2", Side.CRM, ["c1"]) == {}
    assert store.get_mappings("int-1", Module.CUSTOMERS, Side.CRM, ["c1"]) == {}
    store.put_preview_mappings("run-1", [pair("c1", "i1").model_copy(update={"version": 4})])
    assert store.get_preview_mappings("run-1", Side.CRM, ["c1"])["c1"].version == 4


def test_preview_index_overlays_are_replaced_by_key_and_side(store):
    record = SourceRecord(
        side=Side.CRM, kind=RecordKind.ACCOUNT, id="c1", modified=AT, values={"Account_Name": "Ærø"}
    )
    store.put_preview_index(
        "run-1",
        Side.CRM,
        {"ærø": IndexOverlay(added=(record,)), "nord": IndexOverlay(dropped=frozenset({"c7"}))},
    )
    assert store.get_preview_index("run-1", Side.CRM, {"ærø", "nord", "none"}) == {
        "ærø": IndexOverlay(added=(record,)),
        "nord": IndexOverlay(dropped=frozenset({"c7"})),
    }
    assert store.get_preview_index("run-1", Side.INVENTORY, {"ærø"}) == {}
    store.put_preview_index("run-1", Side.CRM, {"ærø": IndexOverlay(dropped=frozenset({"c1"}))})
    assert store.get_preview_index("run-1", Side.CRM, {"ærø"}) == {
        "ærø": IndexOverlay(dropped=frozenset({"c1"}))
    }


def test_a_unique_name_is_taken_once_and_stays_its_records(store):
    assert store.take_preview_name("run-1", "crm:Accounts:acme", "i1") is True
    assert store.take_preview_name("run-1", "crm:Accounts:acme", "i1") is True  # a step done again
    assert store.take_preview_name("run-1", "crm:Accounts:acme", "i2") is False
    assert store.take_preview_name("run-2", "crm:Accounts:acme", "i2") is True


def test_preview_samples_list_by_outcome_then_place_a_page_at_a_time(store):
    store.put_preview_samples(
        "run-1", [sample(PreviewOutcome.SKIPPED, n) for n in range(3)] + [sample(PreviewOutcome.LINKED, 0)]
    )
    first = store.list_preview_samples("run-1", limit=2)
    second = store.list_preview_samples("run-1", limit=2, cursor=first.next_cursor)
    assert [(s.outcome, s.seq) for s in first.items + second.items] == [
        (PreviewOutcome.LINKED, 0),
        (PreviewOutcome.SKIPPED, 0),
        (PreviewOutcome.SKIPPED, 1),
        (PreviewOutcome.SKIPPED, 2),
    ]
    assert second.next_cursor is None and first.items[0] == sample(PreviewOutcome.LINKED, 0)
    skipped = store.list_preview_samples("run-1", outcome=PreviewOutcome.SKIPPED, limit=10)
    assert [s.seq for s in skipped.items] == [0, 1, 2]
    with pytest.raises(InvalidCursorError):
        store.list_preview_samples("run-2", cursor=first.next_cursor)  # another run's listing


def test_what_a_preview_kept_is_purged_with_its_integration(store, make):
    store.create_integration(make.integration(integration_id="int-gone"))
    run = make.run("int-gone")
    store.create_run(run)
    store.put_preview_mappings(run.run_id, [pair("c1", "i1")])
    store.put_preview_samples(run.run_id, [sample(PreviewOutcome.LINKED, 0)])
    assert store.purge_integration("int-gone").done
    assert store.get_preview_mappings(run.run_id, Side.CRM, ["c1"]) == {}
    assert store.list_preview_samples(run.run_id).items == []
