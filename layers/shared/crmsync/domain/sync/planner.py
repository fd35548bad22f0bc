"""The sync planner: what to do with one changed record, and the mapping state afterwards.

Pure: the runtime reads the record, its mapping, the linked record on the other side (only when
`needs_other` says so) and the unlinked match candidates, then carries the `Decision` out.

- Linked records: a tombstone skips (S8: deletes are not synced and nothing is recreated); a
  version older than the one synced skips; the same hash as last synced skips (no change, or the
  echo of our own write); a linked record that is gone tombstones the mapping; otherwise a
  three-way merge against the base decides the writes (customers and vendors: CRM wins a
  conflict; items: inventory wins; fetch-only: the CRM wins and is never written); a field cleared
  on one side since the last sync is cleared on the other (see `merge`).
- New records: duplicates by policy (M4): clone creates, overwrite links to the one match and
  the CRM values replace the inventory ones (an empty CRM value keeps the inventory value), skip
  leaves both; no match creates. Inventory records are pushed only in two-way mode.
- A linked pair the loop breaker parks (B9, see `loops`) is skipped with `loop_suspected`; every
  write to a pair is noted on its mapping.
- The mapping's base is what the CRM holds after the writes: the merged values, except on fields
  the CRM cannot take (a read-only `Full_Name`, the second inventory field of one CRM field, any
  field in fetch-only mode), where the inventory keeps its own value and the CRM's changes are
  still seen as changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmsync.domain.crm_modules import CRM_MODULES, inventory_name
from crmsync.domain.models import DuplicatePolicy, MappingStatus, Module, Side
from crmsync.domain.sync import loops
from crmsync.domain.sync.canonical import crm_canonical_after, record_hash, to_canonical, to_crm_payload
from crmsync.domain.sync.field_views import view_of
from crmsync.domain.sync.merge import MergeResult, merge
from crmsync.domain.sync.model import (
    Canonical,
    Decision,
    FieldConflict,
    Outcome,
    PlanContext,
    RecordKind,
    SourceRecord,
    Write,
    WriteKind,
)
from crmsync.domain.sync.routing import describe, route_reason
from crmsync.domain.sync_state import Mapping

# Conflict winners in two-way mode (M2); fetch-only always takes the CRM's value.
WINNER: dict[Module, Side] = {
    Module.CUSTOMERS: Side.CRM,
    Module.VENDORS: Side.CRM,
    Module.ITEMS: Side.INVENTORY,
}
LAST_NAME = "contact_person.last_name"
FETCH_ONLY = "Fetch-only: inventory records are not pushed to the CRM."


def winner(ctx: PlanContext) -> Side:
    """The side whose value wins a field changed on both sides."""
    return WINNER[ctx.module] if ctx.two_way else Side.CRM


def pass_order(ctx: PlanContext) -> tuple[Side, ...]:
    """The sides a run reads, in order (M2): items push the inventory first; fetch-only reads the CRM."""
    if not ctx.two_way:
        return (Side.CRM,)
    return (winner(ctx), winner(ctx).other)


def needs_other(ctx: PlanContext, record: SourceRecord, mapping: Mapping | None) -> bool:
    """Whether planning this record needs the linked record of the other side fetched."""
    if not _is_linked(mapping) or mapping.tombstone_side is not None:
        return False
    if route_reason(ctx, record) is not None or _is_stale(record, mapping) or _kind_changed(record, mapping):
        return False
    return _canonical(ctx, record)[1] != _hash_on(mapping, record.side)


def plan_record(
    ctx: PlanContext,
    record: SourceRecord,
    mapping: Mapping | None,
    other: SourceRecord | None,
    candidates: list[SourceRecord],
) -> Decision:
    """The decision for one record; see the module docstring for the rules."""
    reason = route_reason(ctx, record)
    if reason is not None:
        return _skip(record, reason)
    if _is_linked(mapping):
        return _plan_linked(ctx, record, mapping, other)
    return _plan_new(ctx, record, candidates)


@dataclass(frozen=True, slots=True)
class _Pair:
    crm: SourceRecord
    inventory: SourceRecord
    crm_canonical: Canonical
    inventory_canonical: Canonical

    @classmethod
    def of(
        cls, record: SourceRecord, canonical: Canonical, other: SourceRecord, other_canonical: Canonical
    ) -> _Pair:
        if record.side is Side.CRM:
            return cls(record, other, canonical, other_canonical)
        return cls(other, record, other_canonical, canonical)


def _plan_linked(
    ctx: PlanContext, record: SourceRecord, mapping: Mapping, other: SourceRecord | None
) -> Decision:
    if mapping.tombstone_side is not None:
        return _skip(record, _tombstone_reason(mapping))
    if _is_stale(record, mapping):
        return _skip(record, "This is an older version of the record than the one already synced.")
    if _kind_changed(record, mapping):
        return _skip(
            record,
            f"It was linked as {mapping.record_kind} and now reads as {record.kind} (for example a "
            "business customer made individual); the pair is not synced across that change.",
        )
    canonical, hashed = _canonical(ctx, record)
    if hashed == _hash_on(mapping, record.side):
        return _skip(record, "No change since the last sync.")
    if other is None:
        gone = record.side.other
        tombstoned = mapping.model_copy(
            update={"tombstone_side": gone, "tombstone_at": record.modified or ctx.as_of}
        )
        reason = (
            f"The linked {_side_name(gone)} record {mapping.id_on(gone)} no longer exists; deletes are not "
            "synced, so this record is kept as it is and not pushed again."
        )
        return Decision(source=record, outcome=Outcome.SKIPPED, mapping=tombstoned, reason=reason)
    pair = _Pair.of(record, canonical, other, to_canonical(ctx, other))
    result = merge(mapping.base, pair.crm_canonical, pair.inventory_canonical, winner(ctx))
    decision = _carry_out(ctx, record, pair, result, mapping, Outcome.UPDATED, result.conflicts)
    if decision.writes and (mapping.loop_parked_at is not None or loops.at_cap(mapping, ctx.as_of)):
        return _parked(ctx, record, pair, mapping, decision)
    return decision


def _parked(
    ctx: PlanContext, record: SourceRecord, pair: _Pair, mapping: Mapping, planned: Decision
) -> Decision:
    """B9: the pair is parked already, or this write would pass the loop breaker's cap."""
    fields = list(dict.fromkeys(path for write in planned.writes for path in write.changes))
    return Decision(
        source=record,
        outcome=Outcome.SKIPPED,
        mapping=loops.parked(mapping, ctx.as_of),
        reason=loops.reason(fields, pair.crm_canonical, pair.inventory_canonical),
        loop_suspected=True,
    )


def _plan_new(ctx: PlanContext, record: SourceRecord, candidates: list[SourceRecord]) -> Decision:
    if record.side is Side.INVENTORY and not ctx.two_way:
        return _skip(record, FETCH_ONLY)
    if record.kind is RecordKind.PERSON and record.linked_parent_id is None:
        parent = "account" if record.side is Side.CRM else "customer"
        reason = f"Its {parent} {record.parent_id} is not synced yet; it is retried once the {parent} is."
        return Decision(source=record, outcome=Outcome.DEFERRED, reason=reason)
    if candidates:
        named = ", ".join(describe(candidate) for candidate in candidates)
        policy = ctx.settings.duplicates
        if policy is DuplicatePolicy.SKIP:
            return _skip(
                record, f"Matches {named}; the duplicate policy is skip, so neither is changed or linked."
            )
        if policy is DuplicatePolicy.OVERWRITE:
            if len(candidates) > 1:
                return _skip(
                    record,
                    f"Matches several records ({named}); overwrite needs exactly one, so none is changed.",
                )
            return _link(ctx, record, candidates[0])
    return _create(ctx, record)


def _link(ctx: PlanContext, record: SourceRecord, candidate: SourceRecord) -> Decision:
    pair = _Pair.of(record, to_canonical(ctx, record), candidate, to_canonical(ctx, candidate))
    result = merge({}, pair.crm_canonical, pair.inventory_canonical, Side.CRM)  # M4: the CRM record replaces
    template = Mapping(
        integration_id=ctx.integration_id,
        module=ctx.module,
        crm_id=pair.crm.id,
        inventory_id=pair.inventory.id,
        record_kind=record.kind.value,
    )
    return _carry_out(ctx, record, pair, result, template, Outcome.LINKED, ())


def _create(ctx: PlanContext, record: SourceRecord) -> Decision:
    canonical = to_canonical(ctx, record)
    filled = _filled(canonical)
    kind = record.kind
    if record.side is Side.CRM:
        required = inventory_name(kind)  # what a create there needs: the inventory's name path
        if required and filled.get(required[0]) is None:
            return _skip(record, f"Not created in the inventory: it has no {required[1]}.")
        writes = [
            Write(
                side=Side.INVENTORY,
                kind=WriteKind.CREATE,
                record_kind=kind,
                parent_id=record.linked_parent_id,
                changes=filled,
            )
        ]
        crm_after = inventory_after = canonical
    else:
        view = view_of(ctx, kind)
        changes = {path: value for path, value in filled.items() if path in view.crm_writable}
        if kind is RecordKind.CONTACT and LAST_NAME in view.crm_writable and not changes.get(LAST_NAME):
            changes[LAST_NAME] = filled.get("contact_name")  # the CRM needs a last name: the display name
        payload = to_crm_payload(ctx, kind, changes)
        crm_module = CRM_MODULES[view.crm_module]  # a create there needs the CRM's mandatory name
        field, label = crm_module.name_field, crm_module.name_label
        if payload.get(field) is None:
            return _skip(record, f"Not created in the CRM: it has no {label}.")
        crm_after = crm_canonical_after(ctx, kind, {}, payload)
        backfill = {
            path: value
            for path, value in crm_after.items()
            if value is not None and canonical.get(path) is None
        }
        writes = [
            Write(
                side=Side.CRM,
                kind=WriteKind.CREATE,
                record_kind=kind,
                parent_id=record.linked_parent_id,
                changes=changes,
            )
        ]
        if backfill:
            writes.append(
                Write(
                    side=Side.INVENTORY,
                    kind=WriteKind.UPDATE,
                    record_kind=kind,
                    record_id=record.id,
                    parent_id=record.parent_id,
                    changes=backfill,
                )
            )
        inventory_after = {**canonical, **backfill}
    source_fields = (
        {"crm_id": record.id, "crm_modified": record.modified}
        if record.side is Side.CRM
        else {"inventory_id": record.id, "inventory_modified": record.modified}
    )
    claim = Mapping(
        integration_id=ctx.integration_id,
        module=ctx.module,
        status=MappingStatus.PENDING,
        claim_side=record.side,
        origin=record.side,
        record_kind=kind.value,
        base=_filled(crm_after),
        crm_hash=record_hash(crm_after),
        inventory_hash=record_hash(inventory_after),
        settings_version=ctx.preferences_version,
        **source_fields,
    )
    return Decision(source=record, outcome=Outcome.ADDED, writes=tuple(writes), mapping=claim)


def _carry_out(
    ctx: PlanContext,
    record: SourceRecord,
    pair: _Pair,
    result: MergeResult,
    mapping: Mapping,
    outcome: Outcome,
    conflicts: tuple[FieldConflict, ...],
) -> Decision:
    """The writes that bring both sides to the merged values, and the mapping once they are done."""
    kind = record.kind
    writes: list[Write] = []
    crm_after = pair.crm_canonical
    crm_changes = _crm_takes(ctx, kind, result.to_crm)
    if crm_changes:
        payload = to_crm_payload(ctx, kind, crm_changes)
        crm_after = crm_canonical_after(ctx, kind, pair.crm.values, payload)
        writes.append(
            Write(
                side=Side.CRM,
                kind=WriteKind.UPDATE,
                record_kind=kind,
                record_id=pair.crm.id,
                parent_id=pair.crm.parent_id,
                changes=crm_changes,
            )
        )
    if result.to_inventory:
        writes.append(
            Write(
                side=Side.INVENTORY,
                kind=WriteKind.UPDATE,
                record_kind=kind,
                record_id=pair.inventory.id,
                parent_id=pair.inventory.parent_id,
                changes=result.to_inventory,
            )
        )
    inventory_after = {**pair.inventory_canonical, **result.to_inventory}
    updated = mapping.model_copy(
        update={
            "base": _filled(crm_after),
            "crm_hash": record_hash(crm_after),
            "inventory_hash": record_hash(inventory_after),
            "recent_writes": loops.noted(mapping, ctx.as_of, len(writes)),
            "settings_version": ctx.preferences_version,
            "crm_modified": pair.crm.modified or mapping.crm_modified,
            "inventory_modified": pair.inventory.modified or mapping.inventory_modified,
        }
    )
    if not writes and outcome is not Outcome.LINKED:
        reason = "Nothing to carry over: the changed fields cannot be written to the other side."
        return Decision(
            source=record, outcome=Outcome.SKIPPED, mapping=updated, conflicts=conflicts, reason=reason
        )
    return Decision(
        source=record, outcome=outcome, writes=tuple(writes), mapping=updated, conflicts=conflicts
    )


def _crm_takes(ctx: PlanContext, kind: RecordKind, changes: Canonical) -> Canonical:
    """The changes a CRM write may carry: none in fetch-only mode, and only writable fields (None
    clears one)."""
    if not ctx.two_way:
        return {}
    writable = view_of(ctx, kind).crm_writable
    return {path: value for path, value in changes.items() if path in writable}


class _LastCanonical:
    """The canonical form and hash of the last record seen: `needs_other` and `plan_record` of one
    record need both, and the record is frozen."""

    def __init__(self) -> None:
        self._key: tuple[PlanContext, SourceRecord] | None = None
        self._value: tuple[Canonical, str] = ({}, "")

    def get(self, ctx: PlanContext, record: SourceRecord) -> tuple[Canonical, str]:
        if self._key is None or self._key[0] is not ctx or self._key[1] is not record:
            canonical = to_canonical(ctx, record)
            self._key, self._value = (ctx, record), (canonical, record_hash(canonical))
        return self._value


_canonical = _LastCanonical().get


def _is_linked(mapping: Mapping | None) -> bool:
    return mapping is not None and mapping.status is MappingStatus.LINKED


def _is_stale(record: SourceRecord, mapping: Mapping) -> bool:
    synced = mapping.crm_modified if record.side is Side.CRM else mapping.inventory_modified
    return record.modified is not None and synced is not None and record.modified < synced


def _kind_changed(record: SourceRecord, mapping: Mapping) -> bool:
    return mapping.record_kind is not None and mapping.record_kind != record.kind.value


def _hash_on(mapping: Mapping, side: Side) -> str | None:
    return mapping.crm_hash if side is Side.CRM else mapping.inventory_hash


def _filled(canonical: Canonical) -> Canonical:
    return {path: value for path, value in canonical.items() if value is not None}


def _skip(record: SourceRecord, reason: str) -> Decision:
    return Decision(source=record, outcome=Outcome.SKIPPED, reason=reason)


def _side_name(side: Side) -> str:
    return "CRM" if side is Side.CRM else "inventory"


def _tombstone_reason(mapping: Mapping) -> str:
    assert mapping.tombstone_side is not None and mapping.tombstone_at is not None
    return (
        f"The linked {_side_name(mapping.tombstone_side)} record was deleted (noticed "
        f"{mapping.tombstone_at:%Y-%m-%d}); deletes are not synced, so this record is kept as it is "
        "and not pushed again."
    )
