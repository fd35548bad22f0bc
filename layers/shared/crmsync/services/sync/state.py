"""A run's own state between steps, kept in `SyncRun.page_cursor` as JSON.

It fixes, when the run starts, the settings the run uses for all its steps (S7) and the phases it
goes through, and it carries the position within the current phase: the lower bound of the change
query, the listing position, and the newest change time seen.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from crmsync.domain.models import ModuleSettings
from crmsync.domain.sync_state import SyncRun
from crmsync.services.sync.reapply import Reapply


class Position(BaseModel):
    """Where the current phase continues."""

    model_config = ConfigDict(frozen=True)

    since: datetime | None = None  # records changed at or after this (None: every record)
    cursor: str | None = None  # the vendor listing's or the staged listing's position
    newest: datetime | None = None  # the latest change time this phase has seen
    started: datetime | None = None  # when this phase began
    by_id: bool = False  # the CRM listing from `since` in id order (a block of records of one second)


class RunState(BaseModel):
    model_config = ConfigDict(frozen=True)

    settings: ModuleSettings
    plan: tuple[str, ...]
    position: Position = Position()
    progress_at: datetime | None = None  # the last saved step (a stalled run is re-queued)
    back_to: datetime | None = None  # an earlier run stopped unfinished: read again from its start
    unmatched: int = 0  # records staged and not yet gone through by a match phase (for the ETA)
    reapply: Reapply | None = None  # S7: what this run re-applies of edited preferences

    def next_phase(self, current: str) -> str | None:
        index = self.plan.index(current) + 1
        return self.plan[index] if index < len(self.plan) else None


def read_state(run: SyncRun) -> RunState:
    if not run.page_cursor:
        raise ValueError(f"run {run.run_id} has no state")
    return RunState.model_validate_json(run.page_cursor)


def with_state(run: SyncRun, state: RunState, **changes) -> SyncRun:
    return run.model_copy(update={"page_cursor": state.model_dump_json(), **changes})
