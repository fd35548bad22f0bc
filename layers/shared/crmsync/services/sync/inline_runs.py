"""Runs done inside an API request (S4 re-sync of one contact, an inline retry of open failures): one
step, finished at once, kept in the history like any run."""

from __future__ import annotations

from datetime import datetime

from crmsync.domain.models import ModulePreferences, RunStatus, Trigger, time_sortable_id
from crmsync.domain.sync_state import SyncRun
from crmsync.ports.vendors import VendorClients
from crmsync.services.deps import Deps
from crmsync.services.sync import progress
from crmsync.services.sync.apply import Applier


def inline_run(preferences: ModulePreferences, trigger: Trigger, at: datetime) -> SyncRun:
    """The run a request's sync step writes under (not stored until `finish`)."""
    return SyncRun(
        integration_id=preferences.integration_id,
        run_id=time_sortable_id(at),
        module=preferences.module,
        trigger=trigger,
        status=RunStatus.DONE,
        preferences_version=preferences.version,
        queued_at=at,
        started_at=at,
    )


def finish(deps: Deps, run: SyncRun, applier: Applier, clients: VendorClients, *, read: int) -> SyncRun:
    """Flushes the applier and stores the run with its counts, failures and a finished progress."""
    counts, ended = applier.flush(), deps.clock()
    done = progress.after_step(None, progress.DONE, read=read, counts=counts, unmatched=0, clients=clients, at=ended)
    finished = run.model_copy(
        update={"ended_at": ended, "counts": counts, "failure_count": applier.new_failures, "progress": done}
    )
    deps.store.create_run(finished)
    return finished
