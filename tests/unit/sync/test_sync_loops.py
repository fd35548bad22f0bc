"""The loop breaker's rule in the planner (B9): at most `loops.MAX_WRITES` writes to a pair within
`loops.WINDOW`; past it the pair is parked with both sides' values until it is released."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmsync.domain.models import Module, ModuleSettings, Side
from crmsync.domain.sync import loops
from crmsync.domain.sync.canonical import record_hash, resolve_context, to_canonical
from crmsync.domain.sync.model import Outcome, PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.planner import plan_record
from crmsync.domain.sync_state import Mapping

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LAMP_CRM = {"Product_Name": "Lamp", "Unit_Price": 10.0, "Description": "Desk lamp"}
LAMP_INV = {"name": "Lamp", "rate": 10.0, "description": "Desk lamp"}


def items(as_of: datetime | None = NOW) -> PlanContext:
    return resolve_context("int-1", Module.ITEMS, ModuleSettings(), 1, True, as_of=as_of)


def crm(values: dict) -> SourceRecord:
    return SourceRecord(side=Side.CRM, kind=RecordKind.PRODUCT, id="c1", values=values)


def inv(values: dict) -> SourceRecord:
    return SourceRecord(side=Side.INVENTORY, kind=RecordKind.PRODUCT, id="i1", values=values)


def synced(ctx: PlanContext, **extra) -> Mapping:
    """The lamp's mapping as last synced with LAMP_CRM and LAMP_INV."""
    on_crm, on_inventory = to_canonical(ctx, crm(LAMP_CRM)), to_canonical(ctx, inv(LAMP_INV))
    return Mapping(
        integration_id="int-1",
        module=Module.ITEMS,
        crm_id="c1",
        inventory_id="i1",
        record_kind=RecordKind.PRODUCT.value,
        base={k: v for k, v in on_crm.items() if v is not None},
        crm_hash=record_hash(on_crm),
        inventory_hash=record_hash(on_inventory),
        **extra,
    )


def price_cleared_in_crm(ctx: PlanContext, mapping: Mapping):
    """What a CRM rule that empties the price on every update makes the sync do: write it back."""
    return plan_record(ctx, crm({**LAMP_CRM, "Unit_Price": None}), mapping, inv(LAMP_INV), [])


def written_times(count: int, *, before: timedelta = timedelta(minutes=1)) -> tuple[datetime, ...]:
    return tuple(NOW - before - timedelta(seconds=i) for i in range(count))


def test_every_write_to_a_pair_is_noted_with_the_planning_time():
    ctx = items()
    decision = price_cleared_in_crm(ctx, synced(ctx, recent_writes=written_times(2)))
    assert decision.outcome is Outcome.UPDATED and len(decision.writes) == 1
    assert decision.mapping.recent_writes == (*written_times(2), NOW)
    both = plan_record(
        ctx, crm({**LAMP_CRM, "Description": "Lamp"}), synced(ctx), inv({**LAMP_INV, "rate": 12}), []
    )
    assert {w.side for w in both.writes} == set(Side) and both.mapping.recent_writes == (NOW, NOW)


def test_a_pair_at_the_cap_that_needs_another_write_is_parked_with_both_sides_values():
    ctx = items()
    mapping = synced(ctx, recent_writes=written_times(loops.MAX_WRITES))
    decision = price_cleared_in_crm(ctx, mapping)
    assert decision.loop_suspected and decision.outcome is Outcome.SKIPPED and decision.writes == ()
    assert decision.mapping == mapping.model_copy(update={"loop_parked_at": NOW})  # base and hashes as synced
    assert decision.reason.startswith("Update loop suspected: ")
    assert f"{loops.MAX_WRITES} times within 24 hours" in decision.reason
    assert "rate: CRM (empty), inventory 10" in decision.reason


def test_writes_older_than_the_window_do_not_count():
    ctx = items()
    old = written_times(loops.MAX_WRITES, before=loops.WINDOW)
    decision = price_cleared_in_crm(ctx, synced(ctx, recent_writes=old))
    assert not decision.loop_suspected and len(decision.writes) == 1
    assert decision.mapping.recent_writes == (NOW,)
    one_short = price_cleared_in_crm(ctx, synced(ctx, recent_writes=written_times(loops.MAX_WRITES - 1)))
    assert not one_short.loop_suspected and len(one_short.mapping.recent_writes) == loops.MAX_WRITES


def test_a_parked_pair_stays_parked_whatever_changes_until_it_is_released():
    ctx = items()
    parked = synced(ctx, loop_parked_at=NOW - timedelta(days=3))
    edited = plan_record(ctx, inv({**LAMP_INV, "description": "Floor lamp"}), parked, crm(LAMP_CRM), [])
    assert edited.loop_suspected and edited.writes == ()
    assert edited.mapping.loop_parked_at == NOW - timedelta(days=3)
    assert "description: CRM 'Desk lamp', inventory 'Floor lamp'" in edited.reason
    free = plan_record(
        ctx, inv({**LAMP_INV, "description": "Floor lamp"}), loops.released(parked), crm(LAMP_CRM), []
    )
    assert not free.loop_suspected and [w.changes for w in free.writes] == [{"description": "Floor lamp"}]


def test_a_parked_pair_whose_change_needs_no_write_is_skipped_as_usual():
    ctx = items()
    parked = synced(ctx, loop_parked_at=NOW)
    decision = plan_record(ctx, inv({**LAMP_INV, "purchase_rate": 3}), parked, crm(LAMP_CRM), [])
    assert not decision.loop_suspected and decision.outcome is Outcome.SKIPPED


def test_nothing_is_counted_or_parked_without_a_planning_time():
    ctx = items(as_of=None)
    decision = price_cleared_in_crm(ctx, synced(ctx, recent_writes=written_times(loops.MAX_WRITES)))
    assert not decision.loop_suspected and len(decision.writes) == 1
    assert decision.mapping.recent_writes == written_times(loops.MAX_WRITES)


def test_release_empties_the_window():
    released = loops.released(synced(items(), recent_writes=written_times(3), loop_parked_at=NOW))
    assert (released.loop_parked_at, released.recent_writes) == (None, ())
