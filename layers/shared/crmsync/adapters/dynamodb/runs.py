"""Sync runs, their failures, and the open failures grouped by record."""

from __future__ import annotations

from collections.abc import Sequence

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import decode, deserialize, encode, serialize
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import ABSENT, Condition, ConditionFailed
from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import Module, RunStatus, Side
from crmsync.domain.sync_state import Failure, SyncRun
from crmsync.ports.store import Page

FIRST_STEP = "first_step"  # on a run failure: the step of the run that first recorded it


def open_failure_key(failure: Failure) -> dict[str, str]:
    return keys.open_failure(failure.integration_id, failure.module, failure.side, failure.record_id)


def run_failure_key(failure: Failure) -> dict[str, str]:
    return keys.run_failure(failure.run_id, failure.side, failure.record_id)


def _run_failure_id(failure: Failure) -> tuple[str, str]:
    key = run_failure_key(failure)
    return key["pk"], key["sk"]


class RunArea(StoreBase):
    def create_run(self, run: SyncRun) -> None:
        try:
            self._table.put(encode(run, keys.run(run.integration_id, run.run_id)), ABSENT)
        except ConditionFailed:
            raise AlreadyExistsError(f"run {run.run_id} exists", current=run.run_id) from None

    def get_run(self, integration_id: str, run_id: str) -> SyncRun | None:
        item = self._table.get(keys.run(integration_id, run_id))
        return decode(item, SyncRun) if item else None

    def list_runs(self, integration_id: str, *, limit: int = 20, cursor: str | None = None) -> Page[SyncRun]:
        listing = Listing(keys.integration_partition(integration_id), keys.RUN_PREFIX)
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=True)
        return Page([decode(item, SyncRun) for item in items], next_cursor)

    def update_run(self, run: SyncRun, *, expected_status: RunStatus) -> None:
        condition = Condition(
            "#status = :expected", {"#status": "status"}, {":expected": expected_status.value}
        )
        try:
            self._table.put(encode(run, keys.run(run.integration_id, run.run_id)), condition)
        except ConditionFailed as err:
            if err.item is None:
                raise NotFoundError(f"run {run.run_id} does not exist") from None
            current = RunStatus(deserialize(err.item)["status"])
            raise ConflictError(f"the run is {current}", current=current) from None

    def record_failures(self, failures: Sequence[Failure], *, step: int = 0) -> int:
        recorded = {
            (plain["pk"], plain["sk"]): plain.get(FIRST_STEP, -1)  # -1: recorded before steps were kept
            for plain in map(deserialize, self._table.batch_get(map(run_failure_key, failures)))
        }
        first_steps = {_run_failure_id(f): recorded.get(_run_failure_id(f), step) for f in failures}
        self._table.batch_put(
            encode(f, run_failure_key(f) | {FIRST_STEP: first_steps[_run_failure_id(f)]}) for f in failures
        )
        known = {
            (failure.module, failure.side, failure.record_id): failure
            for failure in (
                decode(item, Failure) for item in self._table.batch_get(map(open_failure_key, failures))
            )
        }
        merged = []
        for failure in failures:
            earlier = known.get((failure.module, failure.side, failure.record_id))
            if earlier and earlier.first_seen < failure.first_seen:
                failure = failure.model_copy(update={"first_seen": earlier.first_seen})
            merged.append(encode(failure, open_failure_key(failure)))
        self._table.batch_put(merged)
        return sum(1 for first in first_steps.values() if first == step)

    def list_run_failures(self, run_id: str, *, limit: int = 100, cursor: str | None = None) -> Page[Failure]:
        listing = Listing(keys.run_partition(run_id), keys.FAIL_PREFIX)
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([decode(item, Failure) for item in items], next_cursor)

    def list_open_failures(
        self,
        integration_id: str,
        *,
        module: Module | None = None,
        side: Side | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Failure]:
        listing = Listing(keys.integration_partition(integration_id), keys.open_failure_prefix(module, side))
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([decode(item, Failure) for item in items], next_cursor)

    def get_open_failures(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> dict[str, Failure]:
        items = self._table.batch_get(keys.open_failure(integration_id, module, side, i) for i in record_ids)
        return {failure.record_id: failure for failure in (decode(item, Failure) for item in items)}

    def close_failures(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> None:
        self._table.batch_delete(
            serialize(keys.open_failure(integration_id, module, side, i)) for i in record_ids
        )
