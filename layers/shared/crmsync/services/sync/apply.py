"""Carrying out the planner's decisions: vendor writes, claims, mappings, counts and failures.

One record's failure never fails the run: a refusal by either side is recorded as a failure of
that record (with the vendor's reason) and the run goes on. Retryable errors (an outage, throttling
after the client's retries) and an expired authorization are raised: they fail the step, not the
record.

The passes `submit` decisions: their CRM writes wait and go in batches of up to 100 (`crm_batches`),
sent when a batch is full and at the end of the page (`batched`); each record's outcome then
completes its own decision. `apply` carries one decision out at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import MappingStatus, RunCounts, Side
from crmsync.domain.sync import loops
from crmsync.domain.sync.canonical import record_hash, to_canonical, to_crm_payload, to_inventory_payload
from crmsync.domain.sync.model import (
    Decision,
    Outcome,
    PlanContext,
    RecordKind,
    SourceRecord,
    Write,
    WriteKind,
)
from crmsync.domain.sync_state import Failure, Mapping
from crmsync.observability import logger
from crmsync.ports.clock import Clock
from crmsync.ports.crm import WriteOutcome
from crmsync.ports.errors import (
    VendorError,
)
from crmsync.ports.inventory import InventoryRecord
from crmsync.ports.store import Store
from crmsync.services.modules import VendorClients
from crmsync.services.sync import claims, loop_breaker, write_results
from crmsync.services.sync.crm_batches import CrmBatches, CrmWrite, Then, Work, run_alone
from crmsync.services.sync.kinds import CRM_MODULE, PARTNER_ID_FIELD
from crmsync.services.sync.records import from_inventory
from crmsync.services.sync.write_results import NOUN, RecordRefused, Written, fails_the_step


@dataclass
class Applier:
    """Applies decisions for one run step and keeps the step's counts, failures and successes."""

    store: Store
    clients: VendorClients
    ctx: PlanContext
    run_id: str
    now: Clock
    step: int = 0  # the run's step
    counts: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    synced: dict[Side, list[str]] = field(default_factory=lambda: {Side.CRM: [], Side.INVENTORY: []})
    new_failures: int = 0  # records the flush added to the run's failures
    open_claims: dict[str, Mapping] = field(default_factory=dict)  # taken, neither completed nor released
    _batches: CrmBatches = field(init=False)

    def __post_init__(self) -> None:
        self._batches = CrmBatches(self._send_crm)

    # ------------------------------------------------------------------ entry points
    def apply(
        self, decision: Decision, current: Mapping | None, inventory_values: dict[str, Any] | None = None
    ) -> Mapping | None:
        """Carries out one decision now; returns the mapping as stored afterwards (None: none, or failed).

        `inventory_values` is the inventory record as read, for updates that must name what exists
        (its contact persons).
        """
        return run_alone(self._work(decision, current, inventory_values), self._send_crm)

    def submit(
        self,
        decision: Decision,
        current: Mapping | None,
        inventory_values: dict[str, Any] | None = None,
        then: Then | None = None,
    ) -> None:
        """Carries out one decision as far as its CRM write, which waits for its batch; `then` is told
        the stored mapping once the decision is done (at once when it writes nothing to the CRM)."""
        self._batches.add(self._work(decision, current, inventory_values), then)

    def settle(self) -> None:
        """Sends the waiting CRM writes and completes their decisions."""
        self._batches.settle()

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Settles what the block submitted at its end, also when it fails: what was decided before
        an error is carried out, as it was when each record was written on its own."""
        try:
            yield
        finally:
            self.settle()

    def _work(
        self, decision: Decision, current: Mapping | None, inventory_values: dict[str, Any] | None
    ) -> Work:
        """One decision with its counts and failure; yields its CRM write (see `crm_batches`)."""
        source = decision.source
        if decision.loop_suspected and decision.mapping is not None and current is not None:
            return self._park(decision, decision.mapping, current)
        self.counts["conflicts"] += len(decision.conflicts)
        try:
            stored = yield from self._carry_out(decision, current, inventory_values)
        except RecordRefused as refused:
            self.fail(source, refused.reason)
            return None
        except VendorError as exc:
            if fails_the_step(exc):
                raise
            self.fail(source, f"{exc.system} refused the {NOUN[source.kind]}: {exc.message}")
            return None
        self.counts[_count_of(decision.outcome)] += 1
        if decision.outcome in (Outcome.ADDED, Outcome.UPDATED, Outcome.LINKED):
            self.synced[source.side].append(source.id)
        return stored

    def fail(self, source: SourceRecord, reason: str) -> None:
        now = self.now()
        self.counts["failed"] += 1
        logger.info("record failed to sync", extra={"record_id": source.id, "side": source.side.value})
        self.failures.append(
            Failure(
                integration_id=self.ctx.integration_id,
                run_id=self.run_id,
                module=self.ctx.module,
                side=source.side,
                record_id=source.id,
                reason=reason,
                first_seen=now,
                last_seen=now,
                record_kind=source.kind.value,
            )
        )

    def _park(self, decision: Decision, parked: Mapping, current: Mapping) -> Mapping:
        """B9: the record fails as a suspected update loop; its pair is stored parked as it was
        (`loop_breaker`), whatever the planner's view of it."""
        self.fail(decision.source, decision.reason or loops.REASON)
        return loop_breaker.park(self.store, current, parked.loop_parked_at or self.now())

    def flush(self) -> RunCounts:
        """Stores the step's failures, closes those of records that synced; returns the counts."""
        if self.failures:
            self.new_failures = self.store.record_failures(self.failures, step=self.step)
        for side, ids in self.synced.items():
            if ids:
                self.store.close_failures(self.ctx.integration_id, self.ctx.module, side, ids)
        return RunCounts(**{name: self.counts[name] for name in RunCounts.model_fields})

    # ------------------------------------------------------------------ decisions
    def _carry_out(
        self, decision: Decision, current: Mapping | None, existing: dict[str, Any] | None
    ) -> Work:
        creates = [w for w in decision.writes if w.kind is WriteKind.CREATE]
        updates = [w for w in decision.writes if w.kind is WriteKind.UPDATE]
        if creates:
            return (yield from self._create(decision, creates[0], updates, existing))
        mapping = decision.mapping
        if mapping is None:
            return current
        if current is None and mapping.status is MappingStatus.LINKED:
            try:
                current = self.store.link_mapping(mapping)  # a duplicate linked under "overwrite" (M4)
            except AlreadyExistsError:
                raise RecordRefused("its duplicate was linked to another record meanwhile") from None
            mapping = mapping.model_copy(update={"version": current.version})
        written: dict[Side, Written] = {}
        for write in updates:  # the CRM's first: the inventory is written once the CRM took its part
            written[write.side] = yield from self._update(write, existing)
        return self._save(_after_writes(self.ctx, mapping, decision.source, written), current)

    def _create(
        self, decision: Decision, create: Write, updates: list[Write], existing: dict[str, Any] | None
    ) -> Work:
        """Claim, create, complete: the planner's pending mapping is the claim (see `claims`)."""
        source = decision.source
        wanted = decision.mapping or claims.claim_for(
            self.ctx.integration_id, self.ctx.module, source.side, source.id, source.kind
        )
        claim = claims.take_claim(self.store, wanted, self.now)
        if claim.state is claims.ClaimState.LINKED:
            return claim.mapping
        held = f"{source.side}#{source.id}"
        self.open_claims[held] = claim.mapping
        payload = self._payload(create)
        partner = PARTNER_ID_FIELD.get(create.record_kind)
        if create.side is Side.INVENTORY and source.side is Side.CRM and partner:
            payload[partner] = source.id
        abandoned = claim.state is claims.ClaimState.ABANDONED
        found = self._find_created(create, payload, claim.mapping) if abandoned else None
        try:
            written = found or (yield from self._insert(create, payload))
        except (RecordRefused, VendorError) as exc:
            if isinstance(exc, RecordRefused) or not fails_the_step(exc):
                claims.release(self.store, claim.mapping)  # surely not created: a later attempt starts clean
                del self.open_claims[held]
            raise
        written_by_side = {create.side: written}
        for write in updates:
            written_by_side[write.side] = yield from self._update(write, existing)
        linked = wanted.model_copy(
            update={f"{create.side.value}_id": written.record_id, "status": MappingStatus.LINKED}
        )
        completed = claims.complete(
            self.store, claim.mapping, _after_writes(self.ctx, linked, source, written_by_side)
        )
        del self.open_claims[held]
        return completed

    def _save(self, mapping: Mapping, current: Mapping | None) -> Mapping:
        try:
            if current is None:
                return self.store.link_mapping(mapping)
            return self.store.update_mapping(mapping.model_copy(update={"version": current.version}))
        except (ConflictError, NotFoundError):
            logger.info(
                "mapping changed meanwhile; the next run reconciles it", extra={"crm_id": mapping.crm_id}
            )
            return mapping

    # ------------------------------------------------------------------ vendor writes
    def _payload(self, write: Write, existing: dict[str, Any] | None = None) -> dict[str, Any]:
        """`existing`: the inventory record as read, which an update names its contact persons from."""
        if write.side is Side.INVENTORY:
            existing = existing if write.kind is WriteKind.UPDATE else None
            return to_inventory_payload(self.ctx, write.record_kind, write.changes, existing)
        payload = to_crm_payload(self.ctx, write.record_kind, write.changes)
        if write.record_kind is RecordKind.PERSON and write.parent_id:
            payload.setdefault("Account_Name", {"id": write.parent_id})
        return payload

    def _insert(self, write: Write, payload: dict[str, Any]) -> Generator[CrmWrite, WriteOutcome, Written]:
        if write.side is Side.CRM:
            return (yield from self._crm_write(write, payload))
        return self._create_in_inventory(write, payload)

    def _update(
        self, write: Write, existing: dict[str, Any] | None
    ) -> Generator[CrmWrite, WriteOutcome, Written]:
        payload = self._payload(write, existing)
        if write.side is Side.CRM:
            return (yield from self._crm_write(write, {**payload, "id": str(write.record_id)}))
        return self._update_in_inventory(write, payload)

    def _crm_write(self, write: Write, record: dict[str, Any]) -> Generator[CrmWrite, WriteOutcome, Written]:
        """Yields the write to whoever sends it (alone or in a batch) and reads the record's outcome."""
        if not self.ctx.two_way:
            raise AssertionError("the planner asked for a CRM write in a fetch-only run")
        outcome = yield CrmWrite(write.kind, CRM_MODULE[write.record_kind], record)
        return write_results.from_crm(write, outcome)

    def _send_crm(
        self, kind: WriteKind, crm_module: str, records: list[dict[str, Any]]
    ) -> list[WriteOutcome]:
        """One CRM call for up to 100 records (no workflow triggers: the sync's own writes)."""
        if kind is WriteKind.CREATE:
            return self.clients.crm.insert_records(crm_module, records, trigger=[])
        return self.clients.crm.update_records(crm_module, records, trigger=[])

    def _create_in_inventory(self, write: Write, payload: dict[str, Any]) -> Written:
        return write_results.create_in_inventory(self.clients.inventory, self.ctx.module, write, payload)

    def _update_in_inventory(self, write: Write, payload: dict[str, Any]) -> Written:
        return write_results.update_in_inventory(self.clients.inventory, self.ctx.module, write, payload)

    def _find_created(self, write: Write, payload: dict[str, Any], claim: Mapping) -> Written | None:
        if write.side is Side.INVENTORY and write.record_kind is not RecordKind.PERSON:
            crm_id = claim.crm_id or ""
            found = claims.find_inventory_created(
                self.clients.inventory, self.ctx.module, write.record_kind, crm_id, payload
            )
            return Written(found.id, found.last_modified_time, found.values) if found else None
        if write.side is Side.CRM:
            found = claims.find_crm_created(
                self.clients.crm, CRM_MODULE[write.record_kind], payload, claim.updated_at
            )
            return Written(found.id, found.modified_time, None) if found else None
        return None


def _after_writes(
    ctx: PlanContext, mapping: Mapping, source: SourceRecord, written: dict[Side, Written]
) -> Mapping:
    """The mapping with the versions now on each side: the source's as read (a read without one keeps
    the version recorded before), the written side's as answered (and its hash from the answer when
    the answer is the whole record)."""
    changes: dict[str, Any] = {}
    if source.modified is not None:
        changes[f"{source.side.value}_modified"] = source.modified
    for side, result in written.items():
        if result.modified is not None:
            changes[f"{side.value}_modified"] = result.modified
        if side is Side.INVENTORY and result.values is not None and source.kind is not RecordKind.PERSON:
            record = from_inventory(ctx.module, _as_record(result))
            changes["inventory_hash"] = record_hash(to_canonical(ctx, record))
    return mapping.model_copy(update=changes)


def _as_record(written: Written) -> InventoryRecord:
    return InventoryRecord(
        id=written.record_id, last_modified_time=written.modified, values=written.values or {}
    )


def _count_of(outcome: Outcome) -> str:
    return {
        Outcome.ADDED: "added",
        Outcome.UPDATED: "updated",
        Outcome.LINKED: "updated",
        Outcome.SKIPPED: "skipped",
        Outcome.DEFERRED: "skipped",
    }[outcome]
