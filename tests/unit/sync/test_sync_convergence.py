"""Property tests: random edits on both sides, each followed by a simulated sync, converge.

The simulation plays the runtime over two in-memory systems that behave like the vendors for
what the planner relies on (the CRM stores the fields it is sent; the inventory merges addresses,
replaces the contact person list by id and merges custom fields by name) and applies each
decision's writes through the payload functions.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmsync.domain.models import CrmSource, MappingStatus, Module, ModuleSettings, Side
from crmsync.domain.sync.canonical import resolve_context, to_canonical, to_crm_payload, to_inventory_payload
from crmsync.domain.sync.matching import match_key
from crmsync.domain.sync.merge import KEPT_WHEN_CLEARED
from crmsync.domain.sync.model import Decision, PlanContext, RecordKind, SourceRecord, WriteKind
from crmsync.domain.sync.planner import needs_other, pass_order, plan_record
from crmsync.domain.sync_state import Mapping


@dataclass(frozen=True)
class Shape:
    """One module under test: its kind, name fields and the fields edits touch (CRM field, path)."""

    module: Module
    kind: RecordKind
    crm_name: str
    inventory_name: str
    fields: tuple[tuple[str, str], ...]
    values: tuple[Any, ...]
    source: CrmSource | None = None
    crm_renames: bool = True
    inventory_renames: bool = False
    inventory_defaults: tuple[tuple[str, Any], ...] = (("contact_persons", ()),)  # what a full contact shows

    def value(self, index: int) -> Any:
        return self.values[index % len(self.values)]

    def new_inventory_record(self) -> dict[str, Any]:
        return {key: list(value) for key, value in self.inventory_defaults}


TEXT = ("", "a", " a ", "b", "Ærø", None)
SHAPES = {
    "accounts": Shape(
        Module.CUSTOMERS,
        RecordKind.ACCOUNT,
        "Account_Name",
        "contact_name",
        (
            ("Phone", "billing_address.phone"),
            ("Billing_City", "billing_address.city"),
            ("Website", "website"),
            ("Description", "notes"),
        ),
        TEXT,
        source=CrmSource.ACCOUNTS,
    ),
    "contacts": Shape(
        Module.CUSTOMERS,
        RecordKind.CONTACT,
        "Last_Name",
        "contact_name",
        (
            ("Email", "contact_person.email"),
            ("Phone", "contact_person.phone"),
            ("Mailing_City", "billing_address.city"),
            ("Description", "notes"),
        ),
        TEXT,
        source=CrmSource.CONTACTS,
    ),
    "vendors": Shape(
        Module.VENDORS,
        RecordKind.VENDOR,
        "Vendor_Name",
        "contact_name",
        (("Email", "contact_person.email"), ("City", "billing_address.city"), ("Website", "website")),
        TEXT,
    ),
    "items": Shape(
        Module.ITEMS,
        RecordKind.PRODUCT,
        "Product_Name",
        "name",
        (
            ("Unit_Price", "rate"),
            ("Description", "description"),
            ("Product_Active", "status"),
            ("Taxable", "is_taxable"),
        ),
        (1, 2.5, 2.50, True, False, "x", None),
        inventory_renames=True,
        inventory_defaults=(),
    ),
}
WINNERS = {Module.CUSTOMERS: Side.CRM, Module.VENDORS: Side.CRM, Module.ITEMS: Side.INVENTORY}  # M2


@dataclass
class World:
    ctx: PlanContext
    shape: Shape
    crm: dict[str, dict[str, Any]] = field(default_factory=dict)
    inventory: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: dict[tuple[Side, str], Mapping] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=itertools.count)
    writes: int = 0
    fetches: int = 0
    stored: int = 0

    def store(self, side: Side) -> dict[str, dict[str, Any]]:
        return self.crm if side is Side.CRM else self.inventory

    def record(self, side: Side, record_id: str | None) -> SourceRecord | None:
        values = self.store(side).get(record_id or "")
        if values is None:
            return None
        return SourceRecord(side=side, kind=self.shape.kind, id=record_id, values=copy.deepcopy(values))

    def linked(self, side: Side, record_id: str) -> Mapping | None:
        return self.mappings.get((side, record_id))

    # ------------------------------------------------------------------ the runtime's loop
    def sync(self) -> None:
        for side in pass_order(self.ctx):
            for record_id in list(self.store(side)):
                self._sync_one(self.record(side, record_id))

    def _sync_one(self, record: SourceRecord) -> None:
        mapping = self.linked(record.side, record.id)
        other = None
        if mapping is not None and needs_other(self.ctx, record, mapping):
            self.fetches += 1
            other = self.record(record.side.other, mapping.id_on(record.side.other))
        candidates = [] if mapping is not None else self._candidates(record)
        self._apply(plan_record(self.ctx, record, mapping, other, candidates))

    def _candidates(self, record: SourceRecord) -> list[SourceRecord]:
        key = match_key(self.ctx, record)
        side = record.side.other
        found = [
            self.record(side, record_id) for record_id in self.store(side) if not self.linked(side, record_id)
        ]
        return [other for other in found if key is not None and match_key(self.ctx, other) == key]

    def _apply(self, decision: Decision) -> None:
        created: str | None = None
        for write in decision.writes:
            self.writes += 1
            store = self.store(write.side)
            if write.kind is WriteKind.CREATE:
                created = f"{write.side}-{next(self.ids)}"
                store[created] = {} if write.side is Side.CRM else self.shape.new_inventory_record()
            target = created if write.kind is WriteKind.CREATE else write.record_id
            if write.side is Side.CRM:
                store[target].update(to_crm_payload(self.ctx, write.record_kind, write.changes))
            else:
                existing = None if write.kind is WriteKind.CREATE else copy.deepcopy(store[target])
                payload = to_inventory_payload(self.ctx, write.record_kind, write.changes, existing)
                apply_inventory(store[target], payload)
        mapping = decision.mapping
        if mapping is None:
            return
        self.stored += 1
        if mapping.status is MappingStatus.PENDING:
            target = mapping.claim_side.other
            id_field = "crm_id" if target is Side.CRM else "inventory_id"
            mapping = mapping.model_copy(update={id_field: created, "status": MappingStatus.LINKED})
        for side in Side:
            self.mappings[(side, mapping.id_on(side))] = mapping

    # ------------------------------------------------------------------ what users do
    def create(self, side: Side, number: int, values: dict[int, Any]) -> None:
        """A new record named uniquely, with `values` by index into the shape's fields."""
        name = f"Record {number}"
        record_id = f"{side}-{next(self.ids)}"
        fields = {self.shape.fields[index % len(self.shape.fields)]: value for index, value in values.items()}
        if side is Side.CRM:
            self.crm[record_id] = {self.shape.crm_name: name} | {crm: v for (crm, _), v in fields.items()}
        else:
            self.inventory[record_id] = {**self.shape.new_inventory_record(), self.shape.inventory_name: name}
            for (_, path), value in fields.items():
                set_inventory(self.inventory[record_id], path, value)

    def edit(self, side: Side, pick: int, index: int, value: Any) -> None:
        ids = sorted(self.store(side))
        if not ids:
            return
        crm_field, path = self.shape.fields[index % len(self.shape.fields)]
        values = self.store(side)[ids[pick % len(ids)]]
        if side is Side.CRM:
            values[crm_field] = value
        else:
            set_inventory(values, path, value)

    def edit_pair(self, pick: int, index: int, crm_value: Any, inventory_value: Any) -> None:
        """The same field of one linked pair edited on both sides before the next sync."""
        pairs = sorted(self.pairs(), key=lambda m: m.crm_id)
        if not pairs:
            return
        mapping = pairs[pick % len(pairs)]
        crm_field, path = self.shape.fields[index % len(self.shape.fields)]
        self.crm[mapping.crm_id][crm_field] = crm_value
        set_inventory(self.inventory[mapping.inventory_id], path, inventory_value)

    def rename(self, side: Side, pick: int, number: int) -> None:
        ids = sorted(self.store(side))
        if ids:
            name_field = self.shape.crm_name if side is Side.CRM else self.shape.inventory_name
            self.store(side)[ids[pick % len(ids)]][name_field] = f"Renamed {number}"

    # ------------------------------------------------------------------ what the tests look at
    def canonical(self, side: Side, record_id: str) -> dict[str, Any]:
        return to_canonical(self.ctx, self.record(side, record_id))

    def pairs(self) -> list[Mapping]:
        return list({id(m): m for m in self.mappings.values()}.values())


def set_inventory(values: dict[str, Any], path: str, value: Any) -> None:
    """An edit made in the inventory's own UI."""
    if path == "status":
        values["status"] = None if value is None else ("active" if value else "inactive")
    elif path.startswith("contact_person."):
        persons = values.setdefault("contact_persons", [])
        if not persons:
            persons.append({"contact_person_id": f"p{len(persons)}", "is_primary_contact": True})
        persons[0][path.split(".", 1)[1]] = value
    elif "." in path:
        key, sub = path.split(".", 1)
        values.setdefault(key, {})[sub] = value
    else:
        values[path] = value


def apply_inventory(values: dict[str, Any], payload: dict[str, Any]) -> None:
    """The inventory's handling of a create or update body (as the sandbox does it)."""
    for key, value in payload.items():
        if key in ("billing_address", "shipping_address"):
            values[key] = {**values.get(key, {}), **value}
        elif key == "contact_persons":
            current = {p["contact_person_id"]: p for p in values.get(key, [])}
            persons = []
            for given in value:
                person = dict(
                    current.get(given.get("contact_person_id"), {"contact_person_id": f"p{len(persons)}x"})
                )
                person.update({k: v for k, v in given.items() if k != "contact_person_id"})
                persons.append(person)
            values[key] = persons
        elif key == "custom_fields":
            merged = {c["api_name"]: c for c in values.get(key, [])} | {c["api_name"]: c for c in value}
            values[key] = list(merged.values())
        else:
            values[key] = value


def world_for(name: str, *, two_way: bool = True) -> World:
    shape = SHAPES[name]
    settings_ = ModuleSettings(crm_source=shape.source)
    return World(resolve_context("int-1", shape.module, settings_, 1, two_way), shape)


# ------------------------------------------------------------------ operations
side_st = st.sampled_from(list(Side))
create_op = st.tuples(
    st.just("create"), side_st, st.dictionaries(st.integers(0, 3), st.integers(0, 6), max_size=3)
)
edit_op = st.tuples(st.just("edit"), side_st, st.integers(0, 20), st.integers(0, 3), st.integers(0, 6))
pair_op = st.tuples(
    st.just("pair"), st.integers(0, 20), st.integers(0, 3), st.integers(0, 6), st.integers(0, 6)
)
rename_op = st.tuples(st.just("rename"), side_st, st.integers(0, 20))
sync_op = st.tuples(st.just("sync"))
ops_st = st.lists(st.one_of(create_op, edit_op, pair_op, rename_op, sync_op), min_size=1, max_size=30)


def run(world: World, ops: list[tuple], sync: Callable[[World], None]) -> None:
    """Plays the operations, each "sync" (and a last one) through `sync`."""
    numbers = itertools.count()
    shape = world.shape
    for op in ops:
        if op[0] == "create":
            world.create(op[1], next(numbers), {index: shape.value(v) for index, v in op[2].items()})
        elif op[0] == "edit":
            world.edit(op[1], op[2], op[3], shape.value(op[4]))
        elif op[0] == "pair":
            world.edit_pair(op[1], op[2], shape.value(op[3]), shape.value(op[4]))
        elif op[0] == "rename":
            renames = shape.crm_renames if op[1] is Side.CRM else shape.inventory_renames
            if renames:
                world.rename(op[1], op[2], next(numbers))
        else:
            sync(world)
    sync(world)


def checked_sync(world: World) -> None:
    """A sync, checked against the merge rules and convergence: no edit lost (a clear is an edit),
    nothing emptied that no side cleared since the last sync, a field no vendor can empty kept."""
    before = {
        m.crm_id: (
            m.base,
            world.canonical(Side.CRM, m.crm_id),
            world.canonical(Side.INVENTORY, m.inventory_id),
        )
        for m in world.pairs()
    }
    world.sync()
    assert_converged(world)
    rule_winner = WINNERS[world.shape.module]
    for mapping in world.pairs():
        if mapping.crm_id not in before:
            continue
        base, on_crm, on_inventory = before[mapping.crm_id]
        now = world.canonical(Side.CRM, mapping.crm_id)
        for path, value in now.items():
            was, crm_value, inventory_value = base.get(path), on_crm[path], on_inventory[path]
            crm_edit, inventory_edit = crm_value != was, inventory_value != was
            kept = path in KEPT_WHEN_CLEARED
            if (
                crm_edit
                and not (inventory_edit and rule_winner is Side.INVENTORY)
                and not (kept and crm_value is None)
            ):
                assert value == crm_value, (path, "CRM edit lost")
            if (
                inventory_edit
                and not (crm_edit and rule_winner is Side.CRM)
                and not (kept and inventory_value is None)
            ):
                assert value == inventory_value, (path, "inventory edit lost")
            if kept and (crm_value is None) != (inventory_value is None):
                assert value == (crm_value if inventory_value is None else inventory_value), (path, "emptied")
            if value is None and (crm_value is not None or inventory_value is not None):
                assert was is not None and not kept, (path, "emptied though no side cleared it")


def assert_converged(world: World) -> None:
    pairs = world.pairs()
    assert all(m.status is MappingStatus.LINKED for m in pairs)
    assert {m.crm_id for m in pairs} == set(world.crm), "every CRM record is linked once"
    assert {m.inventory_id for m in pairs} == set(world.inventory), "every inventory record is linked once"
    assert len(pairs) == len(world.crm) == len(world.inventory), "no duplicates"
    for mapping in pairs:
        assert world.canonical(Side.CRM, mapping.crm_id) == world.canonical(
            Side.INVENTORY, mapping.inventory_id
        )


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(name=st.sampled_from(sorted(SHAPES)), ops=ops_st)
def test_random_edits_on_both_sides_converge_without_lost_edits_or_duplicates(name, ops):
    run(world_for(name), ops, checked_sync)


@PROPERTY
@given(name=st.sampled_from(sorted(SHAPES)), ops=ops_st)
def test_sync_with_nothing_changed_writes_nothing(name, ops):
    world = world_for(name)
    run(world, ops, checked_sync)
    world.writes = world.fetches = world.stored = 0
    world.sync()
    assert (world.writes, world.fetches, world.stored) == (0, 0, 0), "every record is recognised as unchanged"


def fetch_only_sync(world: World) -> None:
    """A fetch-only sync: the CRM is never written; a new CRM record arrives whole, and a CRM edit
    reaches the inventory (an inventory edit stays until the CRM changes that field)."""
    crm_before = copy.deepcopy(world.crm)
    synced = {m.crm_id: (m.base, world.canonical(Side.CRM, m.crm_id)) for m in world.pairs()}
    world.sync()
    assert world.crm == crm_before
    assert {m.crm_id for m in world.pairs()} == set(world.crm)
    for mapping in world.pairs():
        base, on_crm = synced.get(mapping.crm_id, ({}, world.canonical(Side.CRM, mapping.crm_id)))
        on_inventory = world.canonical(Side.INVENTORY, mapping.inventory_id)
        for path, value in on_crm.items():
            if value is not None and (mapping.crm_id not in synced or value != base.get(path)):
                assert on_inventory[path] == value, (path, "CRM value not fetched")


@PROPERTY
@given(name=st.sampled_from(sorted(SHAPES)), ops=ops_st)
def test_fetch_only_never_writes_crm_and_brings_every_crm_value(name, ops):
    run(world_for(name, two_way=False), ops, fetch_only_sync)
