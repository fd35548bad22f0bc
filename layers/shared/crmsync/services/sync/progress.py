"""A run's progress as a console shows it: measured at the end of each step and saved with the step
(`SyncRun.progress`, one more attribute of the write the step makes anyway).

- `phase`: the phase the run goes on with (`phases`); `DONE` once it has finished.
- `read`: records read from the two systems' listings so far (change streams, the CRM's deleted
  records, the inventory index).
- `written`: records created or updated on either side so far (the counts' added and updated).
- `total`: how many records the run reads in all. Neither vendor's list answer tells a total (the
  CRM's `info.count` counts the page, the inventory's `page_context` has none; zoho-api.md 1.5,
  2.2), only whether another page follows: so the total is known, and equals `read`, once the run
  has read its last listing to the end (it is matching, or done); null before.
- `budget`: the calls left as each client knows them (`call_budget` of the CRM and inventory ports).
- `eta_seconds`: once the total is known, the staged records no match phase has gone through yet,
  one inventory call each at the inventory pacer's rate (creating them is what is left); 0 when done.
"""

from __future__ import annotations

import math
from datetime import datetime

from crmsync.domain.models import RunCounts
from crmsync.domain.sync_state import CallsLeft, RunProgress
from crmsync.ports.vendors import VendorClients
from crmsync.services.sync import phases

DONE = "done"
_ALL_READ = {phases.MATCH_CRM, phases.MATCH_INVENTORY, DONE}


def start(phase: str, at: datetime) -> RunProgress:
    return RunProgress(phase=phase, updated_at=at)


def after_step(
    before: RunProgress | None,
    phase: str,
    *,
    read: int,
    counts: RunCounts,
    unmatched: int,
    clients: VendorClients,
    at: datetime,
) -> RunProgress:
    """The progress once a step has read `read` more records; `phase` is where the run goes on."""
    read += before.read if before else 0
    crm, inventory = clients.crm.call_budget(), clients.inventory.call_budget()
    total = read if phase in _ALL_READ else None
    return RunProgress(
        phase=phase,
        read=read,
        written=counts.added + counts.updated,
        total=total,
        budget=CallsLeft(crm=crm.left, inventory=inventory.left),
        eta_seconds=0 if phase == DONE else _eta(total, unmatched, inventory.per_second),
        updated_at=at,
    )


def stopped(progress: RunProgress | None, at: datetime) -> RunProgress | None:
    """A failed run's progress: where it stopped, without an ETA."""
    return progress.model_copy(update={"eta_seconds": None, "updated_at": at}) if progress else None


def _eta(total: int | None, unmatched: int, per_second: float | None) -> int | None:
    if total is None or not per_second:
        return None
    return math.ceil(unmatched / per_second)
