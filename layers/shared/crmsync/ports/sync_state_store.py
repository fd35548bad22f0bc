"""The sync engine's working state, a part of the store port: the match index, the records staged
for a run's match phase, the step a run is at (and which worker holds it), which run a module is on,
and how far each change stream has been read."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from crmsync.domain.models import Module, ModuleStatus, Side
from crmsync.domain.sync.model import SourceRecord
from crmsync.domain.sync_state import SyncRun

if TYPE_CHECKING:
    from crmsync.ports.store import Page


@dataclass(frozen=True)
class StepClaim:
    """The answer to a worker asking for a run's step (`claim_run_step`)."""

    taken: bool
    held_until: datetime | None = None  # not taken because another attempt holds the step until then
    interrupted: bool = False  # taken, and an earlier attempt's lease had lapsed: that attempt ended
    # without saving or releasing the step (its worker was killed or timed out)


class SyncStateStore(Protocol):
    """What the sync runtime keeps besides mappings, runs and module status."""

    def put_match_entries(
        self, integration_id: str, module: Module, side: Side, entries: Sequence[tuple[str, SourceRecord]]
    ) -> None:
        """Adds or refreshes (match key, record) pairs of one side in the match index (M4)."""
        ...

    def get_match_entries(
        self, integration_id: str, module: Module, side: Side, keys: Collection[str]
    ) -> dict[str, list[SourceRecord]]:
        """Match key -> the indexed records of `side` with that key (keys without any are left out)."""
        ...

    def drop_match_entries(
        self, integration_id: str, module: Module, side: Side, entries: Sequence[tuple[str, str]]
    ) -> None:
        """Removes (match key, record id) pairs from the index; absent ones are ignored."""
        ...

    def stage_records(self, run_id: str, records: Sequence[SourceRecord]) -> None:
        """Keeps records without a mapping for the run's match phase (idempotent per side and id)."""
        ...

    def list_staged(
        self, run_id: str, side: Side, *, limit: int = 100, cursor: str | None = None
    ) -> Page[SourceRecord]:
        """The run's staged records of `side`: accounts, vendors and products before contact persons."""
        ...

    def save_run_step(self, run: SyncRun, *, expected_step: int) -> None:
        """Stores the run (next step, phase, position, counts) only if the stored run is still at
        `expected_step` and not finished: ConflictError(current=stored step) otherwise."""
        ...

    def claim_run_step(self, run: SyncRun, *, at: datetime, until: datetime) -> StepClaim:
        """Leases the run's current step to the caller until `until`: taken unless the stored run has
        moved on, finished, or another worker holds an unexpired lease on it (`held_until` says until
        when). Saving the run's step (`save_run_step`) and releasing it end the lease; a lease that
        lapsed instead shows as `interrupted` to the next taker."""
        ...

    def release_run_step(self, run: SyncRun) -> None:
        """Ends the lease on the run's current step early (its worker failed and will be retried)."""
        ...

    def claim_module_run(
        self,
        integration_id: str,
        module: Module,
        run_id: str,
        *,
        previous_run_id: str | None,
        status: ModuleStatus,
    ) -> bool:
        """Makes `run_id` the module's current run with `status`, only if the module's last run is
        still `previous_run_id` (None: it has none). False when another run got there first or the
        module was never saved."""
        ...

    def get_watermark(self, integration_id: str, module: Module, stream: str) -> datetime | None:
        """How far change detection has read one stream (e.g. "crm:Accounts", "inventory")."""
        ...

    def advance_watermark(self, integration_id: str, module: Module, stream: str, position: datetime) -> bool:
        """False (and nothing written) when the stored position is later."""
        ...
