"""What the sync runtime keeps besides mappings, runs and module status: the match index, the
records a run staged for its match phase, run steps, the module's current run, and watermarks.

| access pattern                              | key                                                                  |
|---------------------------------------------|----------------------------------------------------------------------|
| match index: records of a side by match key | pk=MAP#{integration_id}#{module}, sk=MATCH#{side}#{sha256(key)[:32]} |
| records a run staged, by side               | pk=RUN#{run_id}, sk=STAGE#{side}#{rank}#{record_id}                  |
| watermark of a change stream                | pk=INTEGRATION#{id}, sk=CURSOR#{module}#STREAM#{stream}              |

The index lives in the mapping partition and staged records in the run's partition, so purging an
integration removes both. One index item per match key holds that key's records (JSON), newest
first, at most `MAX_ENTRIES_PER_KEY` of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from crmsync.adapters.dynamodb import keys as table_keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import deserialize, encode, serialize
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import Condition, ConditionFailed
from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import Module, ModuleStatus, RunStatus, Side, format_timestamp
from crmsync.domain.sync.model import RecordKind, SourceRecord
from crmsync.domain.sync_state import SyncRun
from crmsync.ports.store import Page
from crmsync.ports.sync_state_store import StepClaim

MAX_ENTRIES_PER_KEY = 100
MATCH_PREFIX = "MATCH#"
STAGE_PREFIX = "STAGE#"


def match_item_key(integration_id: str, module: Module, side: Side, key: str) -> dict[str, str]:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return {"pk": table_keys.mapping_partition(integration_id, module), "sk": f"{MATCH_PREFIX}{side}#{digest}"}


def stage_item_key(run_id: str, record: SourceRecord) -> dict[str, str]:
    rank = 1 if record.kind is RecordKind.PERSON else 0
    return {"pk": table_keys.run_partition(run_id), "sk": f"{STAGE_PREFIX}{record.side}#{rank}#{record.id}"}


def watermark_key(integration_id: str, module: Module, stream: str) -> dict[str, str]:
    return {"pk": table_keys.integration_partition(integration_id), "sk": f"{table_keys.CURSOR_PREFIX}{module}#STREAM#{stream}"}


def _record_json(record: SourceRecord) -> str:
    return record.model_dump_json()


def _newest_first(records: list[SourceRecord]) -> list[SourceRecord]:
    dated = sorted((r for r in records if r.modified), key=lambda r: r.modified, reverse=True)
    return (dated + [r for r in records if not r.modified])[:MAX_ENTRIES_PER_KEY]


class SyncStateArea(StoreBase):
    # ------------------------------------------------------------ match index
    def put_match_entries(
        self, integration_id: str, module: Module, side: Side, entries: Sequence[tuple[str, SourceRecord]]
    ) -> None:
        by_key: dict[str, dict[str, SourceRecord]] = {}
        for key, record in entries:
            by_key.setdefault(key, {})[record.id] = record
        stored = self.get_match_entries(integration_id, module, side, by_key)
        items = []
        for key, fresh in by_key.items():
            merged = {r.id: r for r in stored.get(key, [])} | fresh
            items.append(self._match_item(integration_id, module, side, key, list(merged.values())))
        self._table.batch_put(items)

    def get_match_entries(
        self, integration_id: str, module: Module, side: Side, keys: Collection[str]
    ) -> dict[str, list[SourceRecord]]:
        found = self._table.batch_get(match_item_key(integration_id, module, side, k) for k in keys)
        result: dict[str, list[SourceRecord]] = {}
        for item in found:
            plain = deserialize(item)
            result[plain["key"]] = [SourceRecord.model_validate(r) for r in json.loads(plain["records"])]
        return result

    def drop_match_entries(
        self, integration_id: str, module: Module, side: Side, entries: Sequence[tuple[str, str]]
    ) -> None:
        gone: dict[str, set[str]] = {}
        for key, record_id in entries:
            gone.setdefault(key, set()).add(record_id)
        stored = self.get_match_entries(integration_id, module, side, gone)
        puts, deletes = [], []
        for key, current in stored.items():
            kept = [r for r in current if r.id not in gone[key]]
            if len(kept) == len(current):
                continue
            if kept:
                puts.append(self._match_item(integration_id, module, side, key, kept))
            else:
                deletes.append(serialize(match_item_key(integration_id, module, side, key)))
        self._table.batch_put(puts)
        self._table.batch_delete(deletes)

    def _match_item(self, integration_id: str, module: Module, side: Side, key: str, records: list[SourceRecord]):
        body = "[" + ",".join(_record_json(r) for r in _newest_first(records)) + "]"
        return serialize({**match_item_key(integration_id, module, side, key), "key": key, "records": body})

    # ------------------------------------------------------------ staged records
    def stage_records(self, run_id: str, records: Sequence[SourceRecord]) -> None:
        self._table.batch_put(
            serialize({**stage_item_key(run_id, r), "record": _record_json(r)}) for r in records
        )

    def list_staged(
        self, run_id: str, side: Side, *, limit: int = 100, cursor: str | None = None
    ) -> Page[SourceRecord]:
        listing = Listing(table_keys.run_partition(run_id), f"{STAGE_PREFIX}{side}#")
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([SourceRecord.model_validate_json(deserialize(i)["record"]) for i in items], next_cursor)

    # ------------------------------------------------------------ runs
    def save_run_step(self, run: SyncRun, *, expected_step: int) -> None:
        condition = Condition(
            "#step = :expected AND #status IN (:queued, :running)",
            {"#step": "step", "#status": "status"},
            {":expected": expected_step, ":queued": RunStatus.QUEUED.value, ":running": RunStatus.RUNNING.value},
        )
        try:
            self._table.put(encode(run, table_keys.run(run.integration_id, run.run_id)), condition)
        except ConditionFailed as err:
            if err.item is None:
                raise NotFoundError(f"run {run.run_id} does not exist") from None
            stored = deserialize(err.item)
            raise ConflictError(
                f"the run is at step {stored.get('step')} ({stored.get('status')})", current=stored.get("step")
            ) from None

    def claim_run_step(self, run: SyncRun, *, at: datetime, until: datetime) -> StepClaim:
        names = {"#step": "step", "#status": "status", "#lease": "step_lease_until"}
        condition = Condition(
            "#step = :step AND #status IN (:queued, :running) AND (attribute_not_exists(#lease) OR #lease < :at)",
            names,
            {
                ":step": run.step,
                ":queued": RunStatus.QUEUED.value,
                ":running": RunStatus.RUNNING.value,
                ":at": at.timestamp(),
            },
        )
        key = table_keys.run(run.integration_id, run.run_id)
        try:
            before = self._table.update(key, "SET #lease = :until", {}, {":until": until.timestamp()}, condition, "ALL_OLD")
        except ConditionFailed as err:
            stored = deserialize(err.item) if err.item else {}
            lease = stored.get("step_lease_until")
            held = stored.get("step") == run.step and lease is not None and float(lease) >= at.timestamp()
            return StepClaim(taken=False, held_until=datetime.fromtimestamp(float(lease), UTC) if held else None)
        return StepClaim(taken=True, interrupted="step_lease_until" in deserialize(before))

    def release_run_step(self, run: SyncRun) -> None:
        condition = Condition("#step = :step", {"#step": "step"}, {":step": run.step})
        try:
            self._table.update(
                table_keys.run(run.integration_id, run.run_id), "REMOVE #lease", {"#lease": "step_lease_until"}, {}, condition
            )
        except ConditionFailed:
            pass  # the run moved on: no lease of this step is left

    def claim_module_run(
        self,
        integration_id: str,
        module: Module,
        run_id: str,
        *,
        previous_run_id: str | None,
        status: ModuleStatus,
    ) -> bool:
        names = {"#version": "version", "#last": "last_run_id", "#status": "status"}
        if previous_run_id is None:
            condition = Condition("attribute_exists(#version) AND attribute_not_exists(#last)", names, {})
        else:
            condition = Condition(
                "attribute_exists(#version) AND #last = :previous", names, {":previous": previous_run_id}
            )
        try:
            self._table.update(
                table_keys.module(integration_id, module),
                "SET #last = :run, #status = :status",
                {},
                {":run": run_id, ":status": status.value},
                condition,
            )
        except ConditionFailed:
            return False
        return True

    # ------------------------------------------------------------ watermarks
    def get_watermark(self, integration_id: str, module: Module, stream: str) -> datetime | None:
        item = self._table.get(watermark_key(integration_id, module, stream))
        return datetime.fromisoformat(deserialize(item)["position"]) if item else None

    def advance_watermark(self, integration_id: str, module: Module, stream: str, position: datetime) -> bool:
        at = format_timestamp(position)
        not_backwards = Condition(
            "attribute_not_exists(pk) OR #position <= :position", {"#position": "position"}, {":position": at}
        )
        try:
            self._table.put(serialize({**watermark_key(integration_id, module, stream), "position": at}), not_backwards)
        except ConditionFailed:
            return False
        return True
